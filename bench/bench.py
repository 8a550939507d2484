#!/usr/bin/env python3
"""GoModel benchmark: what the gateway adds to a request, measured against the direct call.

Everything runs on 127.0.0.1: the in-repo fake provider (`fake-upstream`, fast mode: no request
recording, precomputed answers), the gateway in front of it, and the in-repo load generator
(`loadgen`: HDR histograms; open-loop runs corrected for coordinated omission). Every scenario
runs against the fake directly and through the gateway in the same run; "added" is the
difference. The gateway's CPU and memory come from /proc.

Usage (through bench/run, which builds the release binaries first):
  bench/run                      full run (~5 min); writes bench/results/latest.json and BENCHMARKS.md
  bench/run --smoke              seconds-long check that every scenario works (CI); asserts no errors
  bench/run --scenarios chat     a subset
  bench/run --callgrind          instruction count per request (deterministic regression signal)
  bench/run --peers              LiteLLM and Portkey side by side (../shared/bench), 3 trials
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

from lib import ROOT, Proc, Window, http, log, loadgen, rss_kb, wait_for

MASTER_KEY = "sk-bench-master-key"
PORTS = {"fast": 19999, "paced": 19998, "slow": 19997, "stream": 19996, "gateway": 18080}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello for a benchmark test."}]}
EMBED = {"model": "text-embedding-3-small", "input": "The food was delicious and the waiter was friendly."}


def big_prompt_body():
    """~100 KB of conversation plus 10 tools: the request-size scenario."""
    paragraph = ("The gateway forwards this text untouched; it exists to make the request large. " * 12).strip()
    messages = [{"role": "system", "content": "You are a careful assistant."}]
    while len(json.dumps(messages)) < 100_000:
        messages.append({"role": "user", "content": paragraph})
        messages.append({"role": "assistant", "content": paragraph[: len(paragraph) // 2]})
    tools = [{"type": "function", "function": {
        "name": f"tool_{i}", "description": f"Tool number {i} for the benchmark.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                       "required": ["city"]}}} for i in range(10)]
    return {"model": "gpt-4o-mini", "messages": messages, "tools": tools}


def scenarios(smoke, duration):
    """(name, fake, path, body, options) for each cell. Smoke mode shrinks everything."""
    d = 1.0 if smoke else duration
    chat_levels = [1, 16] if smoke else [1, 16, 64, 256]
    cells = [("chat", "fast", "/v1/chat/completions", CHAT, {"concurrency": c, "duration": d}) for c in chat_levels]
    cells += [
        ("stream", "stream", "/v1/chat/completions", dict(CHAT, stream=True), {"concurrency": 16, "duration": d, "stream": True}),
        ("paced", "paced", "/v1/chat/completions", dict(CHAT, stream=True), {"concurrency": 16, "duration": d, "stream": True}),
        ("embed", "fast", "/v1/embeddings", EMBED, {"concurrency": 16, "duration": d}),
        ("big", "fast", "/v1/chat/completions", big_prompt_body(), {"concurrency": 16, "duration": d}),
        ("fixed_rate", "fast", "/v1/chat/completions", CHAT,
         {"concurrency": 32, "duration": d, "rate": 200 if smoke else 5000}),
        ("inflight", "slow", "/v1/chat/completions", CHAT, {"concurrency": 50 if smoke else 1000, "duration": max(d, 2.0 if smoke else d)}),
    ]
    return cells


class Bench:
    def __init__(self, args):
        self.args = args
        self.bins = Path(args.bin_dir).resolve()
        self.loadgen_bin = self.bins / "loadgen"
        self.out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="gomodel-bench-"))
        self.out.mkdir(parents=True, exist_ok=True)
        self.fakes = {}
        self.results = {"runs": [], "features": [], "footprint": {}}

    # ------------------------------------------------------------------ processes

    def start_fakes(self):
        settings = {
            "fast": [],
            "stream": ["--chunks", "30"],
            "paced": ["--chunks", "20", "--chunk-delay-ms", "5"],
            "slow": ["--latency-ms", "200", "--threads", "1"],
        }
        for name, extra in settings.items():
            port = PORTS[name]
            proc = Proc(f"fake-{name}", [str(self.bins / "fake-upstream"), "--port", str(port), *extra],
                        log_path=self.out / f"fake-{name}.log")
            self.fakes[name] = proc
        for name in settings:
            if wait_for(f"http://127.0.0.1:{PORTS[name]}/health", timeout=10) is None:
                raise SystemExit(f"fake-upstream {name} did not start (see {self.out})")

    def gateway_env(self, auth=True, logs=True, usage=True, audit=False, metrics=False):
        env = {
            "PORT": str(PORTS["gateway"]),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "info" if logs else "warn",
            "GOMODEL_CACHE_DIR": str(self.out / "cache"),
            "OPENAI_API_KEY": "sk-bench-provider",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{PORTS['fast']}/v1",
            "OPENAI_PACED_API_KEY": "sk-bench-provider",
            "OPENAI_PACED_BASE_URL": f"http://127.0.0.1:{PORTS['paced']}/v1",
            "OPENAI_SLOW_API_KEY": "sk-bench-provider",
            "OPENAI_SLOW_BASE_URL": f"http://127.0.0.1:{PORTS['slow']}/v1",
            "OPENAI_STREAM_API_KEY": "sk-bench-provider",
            "OPENAI_STREAM_BASE_URL": f"http://127.0.0.1:{PORTS['stream']}/v1",
        }
        if auth:
            env["GOMODEL_MASTER_KEY"] = MASTER_KEY
        env["USAGE_ENABLED"] = "true" if usage else "false"
        env["LOGGING_ENABLED"] = "true" if audit else "false"
        # audit="metadata": the entry without bodies and headers (LOGGING_LOG_BODIES/HEADERS off).
        if audit == "metadata":
            env["LOGGING_LOG_BODIES"] = "false"
            env["LOGGING_LOG_HEADERS"] = "false"
        env["METRICS_ENABLED"] = "true" if metrics else "false"
        env["SQLITE_PATH"] = str(self.out / "gomodel.db")
        env["MODEL_LIST_URL"] = ""
        return env

    def start_gateway(self, label, **features):
        """Starts the gateway; returns (proc, cold start seconds to the first 200 chat answer)."""
        proc = Proc(label, [str(self.bins / "gomodel")], env=self.gateway_env(**features),
                    log_path=self.out / f"{label}.log", cwd=str(self.out))
        headers = {"Authorization": f"Bearer {MASTER_KEY}"}
        url = f"http://127.0.0.1:{PORTS['gateway']}/v1/chat/completions"
        cold = wait_for(url, "POST", dict(CHAT, model="openai/gpt-4o-mini"), headers, timeout=30, interval=0.001)
        if cold is None:
            proc.stop()
            raise SystemExit(f"gateway did not answer (see {proc.log_path})")
        return proc, cold

    def stop_all(self):
        for proc in self.fakes.values():
            proc.stop()

    # ------------------------------------------------------------------ measuring

    def gateway_model(self, fake):
        prefix = {"fast": "openai", "paced": "openai-paced", "slow": "openai-slow", "stream": "openai-stream"}[fake]
        return prefix

    def run_cell(self, name, fake, path, body, options, gateway):
        """One scenario, direct then through the gateway."""
        cell = {"scenario": name, **{k: v for k, v in options.items() if k != "duration"}}
        direct_url = f"http://127.0.0.1:{PORTS[fake]}{path}"
        gw_url = f"http://127.0.0.1:{PORTS['gateway']}{path}"
        gw_body = dict(body, model=f"{self.gateway_model(fake)}/{body['model']}")
        headers = {"Authorization": f"Bearer {MASTER_KEY}"}
        fake_pids = [self.fakes[fake].pid]
        # Warm both paths: connection pools, lazy state.
        warm = dict(options, duration=0.5 if not self.args.smoke else 0.2)
        warm.pop("rate", None)
        loadgen(self.loadgen_bin, direct_url, body, **warm)
        loadgen(self.loadgen_bin, gw_url, gw_body, headers, **warm)
        with Window(None, fake_pids) as window:
            direct = loadgen(self.loadgen_bin, direct_url, body, **options)
        direct.update(window.figures(direct.get("ok")))
        with Window(gateway.pid, fake_pids) as window:
            through = loadgen(self.loadgen_bin, gw_url, gw_body, headers, **options)
        through.update(window.figures(through.get("ok")))
        cell["direct"], cell["gateway"] = direct, through
        self.results["runs"].append(cell)
        log(f"{name} c={options['concurrency']}: {summary(direct)} | gateway {summary(through)}")
        return cell

    def run(self):
        self.start_fakes()
        try:
            gateway, cold = self.start_gateway("gateway")
            time.sleep(0.5)
            self.results["footprint"] = {"cold_start_s": round(cold, 4), "idle_rss_mb": round(rss_kb(gateway.pid) / 1024, 1)}
            log(f"gateway ready in {cold * 1000:.1f} ms, idle RSS {self.results['footprint']['idle_rss_mb']} MB")
            try:
                for name, fake, path, body, options in scenarios(self.args.smoke, self.args.duration):
                    if self.args.scenarios and name not in self.args.scenarios:
                        continue
                    self.run_cell(name, fake, path, body, options, gateway)
            finally:
                code = gateway.stop()
                self.results["footprint"]["exit_code"] = code
            if not self.args.scenarios or "features" in self.args.scenarios:
                self.run_features()
        finally:
            self.stop_all()

    def run_features(self):
        """Chat at c=64 with each feature switched off, then on (same run, same fakes).

        The shared VM drifts: the same baseline measured 9,000 and 19,000 req/s a minute apart,
        far more than the effects measured here. So every variant runs right after a baseline
        run, and the baseline runs once more at the end of the round: a variant's cost in a
        round is its req/s against the mean of the baseline runs just before and after it
        (which cancels drift that is steady over those ~15 seconds). Rounds repeat with the
        variant order rotated; a variant's cost is the median of its rounds, and its other
        figures are from its median round."""
        # Short runs: each costs less drift, and the pairing needs three runs per variant.
        duration = 1.0 if self.args.smoke else min(self.args.duration, 3.0)
        rounds = 1 if self.args.smoke else self.args.feature_rounds
        off = {"auth": False, "logs": False, "usage": False, "audit": False, "metrics": False}
        defaults = {"auth": True, "logs": True, "usage": True, "audit": False, "metrics": False}
        baseline = ("baseline: auth off, request logs off, usage off", dict(off))
        variants = [("auth on", dict(off, auth=True)),
                    ("request logs on", dict(off, logs=True)),
                    ("usage rows on (SQLite)", dict(off, usage=True)),
                    ("audit log on (SQLite, bodies and headers)", dict(off, audit=True)),
                    ("audit log on, metadata only (no bodies or headers)", dict(off, audit="metadata")),
                    ("Prometheus metrics on", dict(off, metrics=True)),
                    ("defaults: auth + request logs + usage rows", dict(defaults)),
                    ("everything: defaults + audit log + metrics", dict(defaults, audit=True, metrics=True))]
        if self.args.variants:
            wanted = [w.strip() for w in self.args.variants.split(",") if w.strip()]
            variants = [v for v in variants if any(w in v[0] for w in wanted)]
        trials = {label: [] for label, _ in [baseline] + variants}
        costs = {label: [] for label, _ in variants}

        def measure(label, features, round_no):
            gateway, _ = self.start_gateway("gateway-features", **features)
            try:
                url = f"http://127.0.0.1:{PORTS['gateway']}/v1/chat/completions"
                body = dict(CHAT, model="openai/gpt-4o-mini")
                headers = {"Authorization": f"Bearer {MASTER_KEY}"}
                loadgen(self.loadgen_bin, url, body, headers, concurrency=64, duration=0.5)
                with Window(gateway.pid, [self.fakes["fast"].pid]) as window:
                    result = loadgen(self.loadgen_bin, url, body, headers, concurrency=64, duration=duration)
                result.update(window.figures(result.get("ok")))
            finally:
                gateway.stop()
            # Rows the usage and audit writers dropped (queue full): work not done, which
            # would make a variant look cheaper than it is. Read from the writers' shutdown line.
            result["dropped_rows"] = dropped_rows(gateway.log_path)
            trials[label].append(result)
            dropped = f", {result['dropped_rows']} rows dropped" if result["dropped_rows"] else ""
            log(f"features [{label}] round {round_no + 1}/{rounds}: {summary(result)}{dropped}")
            return result.get("rps") or 0

        for round_no in range(rounds):
            shift = round_no % max(len(variants), 1)
            before = measure(*baseline, round_no)
            for label, features in variants[shift:] + variants[:shift]:
                rps = measure(label, features, round_no)
                after = measure(*baseline, round_no)
                reference = (before + after) / 2
                if reference > 0:
                    costs[label].append(100.0 * (1 - rps / reference))
                before = after
        for label, features in [baseline] + variants:
            results = trials[label]
            ranked = sorted(results, key=lambda r: r.get("rps", 0))
            median = dict(ranked[len(ranked) // 2])
            median["rounds_rps"] = [round(r.get("rps", 0)) for r in results]
            median["errors"] = {"total": sum((r.get("errors") or {}).get("total", 0) for r in results)}
            median["dropped_rows"] = sum(r.get("dropped_rows", 0) for r in results)
            if any("error" in r for r in results):
                median["error"] = next(r["error"] for r in results if "error" in r)
            if costs.get(label):
                ranked_costs = sorted(costs[label])
                median["cost_pct"] = round(ranked_costs[len(ranked_costs) // 2], 1)
                median["rounds_cost_pct"] = [round(c, 1) for c in costs[label]]
            self.results["features"].append({"variant": label, **features, "result": median})
            extra = f", cost {median['cost_pct']}% (rounds {median['rounds_cost_pct']})" if "cost_pct" in median else ""
            log(f"features [{label}] median of {len(results)}: {summary(median)}{extra}")

    def errors(self):
        problems = []
        for cell in self.results["runs"]:
            for side in ("direct", "gateway"):
                r = cell[side]
                if "error" in r or r.get("errors", {}).get("total", 1) != 0:
                    problems.append(f"{cell['scenario']} {side}: {r.get('error') or r.get('errors')}")
        for f in self.results["features"]:
            r = f["result"]
            if "error" in r or r.get("errors", {}).get("total", 1) != 0:
                problems.append(f"features {f['variant']}: {r.get('error') or r.get('errors')}")
        return problems


def dropped_rows(log_path):
    """Rows a gateway's usage and audit writers dropped, from their shutdown lines (JSON logs:
    `"dropped":N` on "records flushed at shutdown"; no such field when nothing was dropped)."""
    total = 0
    try:
        text = Path(log_path).read_text(errors="replace")
    except OSError:
        return 0
    for line in text.splitlines():
        if "records flushed at shutdown" in line:
            match = re.search(r'"dropped":(\d+)', line)
            total += int(match.group(1)) if match else 0
    return total


def summary(r):
    if "error" in r:
        return f"ERROR {r['error'][:200]}"
    lat = r.get("ttfb_us") or r.get("latency_us") or {}
    parts = [f"{r.get('rps', 0):.0f} req/s", f"p50 {lat.get('p50', 0)} us", f"p99 {lat.get('p99', 0)} us",
             f"errors {r.get('errors', {}).get('total')}"]
    if "gateway_cpu_us_per_req" in r:
        parts.append(f"cpu {r['gateway_cpu_us_per_req']} us/req")
    if "fake_cpu_pct" in r:
        parts.append(f"fake {r['fake_cpu_pct']}%")
    return ", ".join(parts)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", default=str(ROOT / "target" / "release"))
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run")
    parser.add_argument("--scenarios", type=lambda s: [x for x in s.split(",") if x], default=None,
                        help="comma list of: chat,stream,paced,embed,big,fixed_rate,inflight,features")
    parser.add_argument("--feature-rounds", type=int, default=7,
                        help="rounds of the features on/off runs (each variant between two baseline runs; medians reported)")
    parser.add_argument("--variants", default=None,
                        help="features: only the variants whose label contains one of these comma-separated words "
                             "(the baseline always runs); for quick checks, with --no-report")
    parser.add_argument("--smoke", action="store_true", help="seconds-long run; fails on any error; writes nothing")
    parser.add_argument("--out", default=None, help="folder for logs and raw results")
    parser.add_argument("--no-report", action="store_true", help="do not update bench/results/latest.json and BENCHMARKS.md")
    args = parser.parse_args()

    # 1,000 in-flight requests need ~2,000 sockets in the gateway.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))

    bench = Bench(args)
    started = dt.datetime.now(dt.timezone.utc)
    bench.run()
    bench.results["meta"] = {"started": started.isoformat(timespec="seconds"), "machine": machine(),
                             "duration_s": args.duration, "smoke": args.smoke,
                             "command": os.environ.get("BENCH_COMMAND", "bench/run")}
    (bench.out / "results.json").write_text(json.dumps(bench.results, indent=2))
    problems = bench.errors()
    if problems:
        log("ERRORS:\n  " + "\n  ".join(problems))
        sys.exit(1)
    if not args.smoke and not args.no_report and not args.scenarios:
        latest = ROOT / "bench" / "results" / "latest.json"
        latest.write_text(json.dumps(bench.results, indent=2) + "\n")
        import report
        report.write()
        log(f"wrote {latest} and BENCHMARKS.md")
    log(f"raw results in {bench.out}")


if __name__ == "__main__":
    main()
