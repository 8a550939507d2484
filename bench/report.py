#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the recorded results; never edit that file by hand.

Inputs (all in bench/results/): latest.json (bench/run), peers-latest.json (bench/run --peers),
callgrind-latest.json (bench/run --callgrind), and bench/findings.md (what profiles showed,
written by whoever investigated a missed target). Run it alone to re-render: python3 bench/report.py
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def load(name):
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ms(us):
    return None if us is None else us / 1000.0


def cells(latest, scenario):
    return [c for c in latest["runs"] if c["scenario"] == scenario]


def latency(result, key="latency_us"):
    return result.get(key) or {}


def added(cell, pct, key="latency_us"):
    g, d = latency(cell["gateway"], key).get(pct), latency(cell["direct"], key).get(pct)
    return None if g is None or d is None else (g - d) / 1000.0


def targets_table(latest, peers, callgrind=None):
    rows = []
    chat = {c["concurrency"]: c for c in cells(latest, "chat")}
    saturated = [chat[c] for c in (64, 256) if c in chat]
    cpu = min((c["gateway"].get("gateway_cpu_us_per_req") for c in saturated), default=None)
    rps = max((c["gateway"].get("rps", 0) for c in saturated), default=None)
    c1 = chat.get(1)
    add50 = added(c1, "p50") if c1 else None
    add99 = added(c1, "p99") if c1 else None
    paced = next(iter(cells(latest, "paced")), None)
    ttfb_added = added(paced, "p50", "ttfb_us") if paced else None
    foot = latest.get("footprint", {})
    peak256 = chat.get(256, {}).get("gateway", {}).get("peak_rss_mb")
    inflight = next(iter(cells(latest, "inflight")), None)
    per_inflight_kb = None
    if inflight and inflight["gateway"].get("peak_rss_mb") is not None:
        start = inflight["gateway"].get("rss_before_mb", foot.get("idle_rss_mb"))
        per_inflight_kb = (inflight["gateway"]["peak_rss_mb"] - start) * 1024 / inflight["concurrency"]
    logging_cost = None
    features = {f["variant"]: f["result"] for f in latest.get("features", [])}
    base = features.get("baseline: auth off, request logs off, usage off") or features.get("baseline: auth off, request logs off")
    logs = features.get("usage rows on (SQLite)") or features.get("request logs on")

    def cost(variant):
        """The variant's req/s lost against the baseline: the median of its paired rounds when
        the run recorded them (bench.py run_features), else its median round against the
        baseline's (older results)."""
        if not variant:
            return None
        if variant.get("cost_pct") is not None:
            return variant["cost_pct"]
        if base and base.get("rps") and variant.get("rps"):
            return 100.0 * (1 - variant["rps"] / base["rps"])
        return None

    logging_cost = cost(logs)
    audit_cost = cost(features.get("audit log on (SQLite, bodies and headers)"))
    audit_meta_cost = cost(features.get("audit log on, metadata only (no bodies or headers)"))
    usage_instructions = audit_instructions = None
    if callgrind:
        on, off = callgrind["results"].get("chat"), callgrind["results"].get("chat_usage_off")
        if on and off:
            usage_instructions = 100.0 * (on["per_request"] / off["per_request"] - 1)
        with_audit = callgrind["results"].get("chat_audit")
        if on and with_audit:
            audit_instructions = 100.0 * (with_audit["per_request"] / on["per_request"] - 1)

    def peer_ratio(peer):
        if not peers:
            return None
        ours = best_rps(peers["cells"].get("ours", {}))
        theirs = best_rps(peers["cells"].get(peer, {}))
        return ours / theirs if ours and theirs else None

    def row(name, target, value, ok, unit=""):
        status = "-" if value is None else ("met" if ok(value) else "**missed**")
        rows.append(f"| {name} | {target} | {fmt(value, 2)}{unit if value is not None else ''} | {status} |")

    row("CPU per non-stream request (c=64/256, best)", "≤ 25 µs", cpu, lambda v: v <= 25, " µs")
    row("Added p50 at c=1", "≤ 0.05 ms", add50, lambda v: v <= 0.05, " ms")
    row("Added p99 at c=1", "≤ 0.25 ms", add99, lambda v: v <= 0.25, " ms")
    row("Saturated throughput (c=64/256, best)", "≥ 20,000 req/s", rps, lambda v: v >= 20000, " req/s")
    row("Throughput vs Portkey (same run, peers harness)", "≥ 13×", peer_ratio("portkey"), lambda v: v >= 13, "×")
    row("Throughput vs LiteLLM (same run, peers harness)", "≥ 60×", peer_ratio("litellm"), lambda v: v >= 60, "×")
    row("Streamed first byte added (paced, p50)", "≤ 0.2 ms", ttfb_added, lambda v: v <= 0.2, " ms")
    row("RSS idle", "≤ 12 MB", foot.get("idle_rss_mb"), lambda v: v <= 12, " MB")
    row("RSS peak at c=256", "≤ 30 MB", peak256, lambda v: v <= 30, " MB")
    row("Memory per in-flight request (1,000 vs a 200 ms upstream)", "≤ 20 KB", per_inflight_kb, lambda v: v <= 20, " KB")
    cold = foot.get("cold_start_s")
    row("Cold start to the first 200", "≤ 0.1 s", cold, lambda v: v <= 0.1, " s")
    row("Usage rows cost: req/s lost, on vs off (median of paired rounds)", "≤ 10%", logging_cost,
        lambda v: v <= 10, "%")
    row("Usage rows cost: instructions per request, on vs off (callgrind)", "≤ 10%", usage_instructions,
        lambda v: v <= 10, "%")
    row("Audit log cost: req/s lost, on vs off (median of paired rounds)", "≤ 10%", audit_cost,
        lambda v: v <= 10, "%")
    row("Audit log cost, metadata only: req/s lost, on vs off (median of paired rounds)", "≤ 10%",
        audit_meta_cost, lambda v: v <= 10, "%")
    row("Audit log cost: instructions per request, on vs off (callgrind)", "≤ 10%", audit_instructions,
        lambda v: v <= 10, "%")
    return rows


def best_rps(cells_by_key):
    values = [v["rps"]["median"] for k, v in cells_by_key.items() if k.startswith("chat@") and "rps" in v]
    return max(values) if values else None


def scenario_rows(latest):
    lines = ["| scenario | c | direct req/s | gateway req/s | direct p50 / p99 ms | gateway p50 / p90 / p99 / max ms | added p50 / p99 ms | gateway CPU µs/req | gateway peak RSS MB | fake CPU % | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for cell in latest["runs"]:
        key = "ttfb_us" if cell["scenario"] == "paced" else "latency_us"
        d, g = cell["direct"], cell["gateway"]
        dl, gl = latency(d, key), latency(g, key)
        name = cell["scenario"] + (" (TTFB)" if key == "ttfb_us" else "")
        if cell.get("rate"):
            name += f" @ {cell['rate']:,} req/s, CO-corrected"
        errors = (d.get("errors") or {}).get("total", "?"), (g.get("errors") or {}).get("total", "?")
        lines.append(
            f"| {name} | {cell['concurrency']} | {fmt(d.get('rps'), 0)} | {fmt(g.get('rps'), 0)} | "
            f"{fmt(ms(dl.get('p50')), 3)} / {fmt(ms(dl.get('p99')), 3)} | "
            f"{fmt(ms(gl.get('p50')), 3)} / {fmt(ms(gl.get('p90')), 3)} / {fmt(ms(gl.get('p99')), 3)} / {fmt(ms(gl.get('max')), 2)} | "
            f"{fmt(added(cell, 'p50', key), 3)} / {fmt(added(cell, 'p99', key), 3)} | "
            f"{fmt(g.get('gateway_cpu_us_per_req'))} | {fmt(g.get('peak_rss_mb'))} | {fmt(g.get('fake_cpu_pct'))} | {errors[0]} / {errors[1]} |")
    for cell in latest["runs"]:
        if cell["scenario"] in ("stream", "paced"):
            g = cell["gateway"]
            lines.append("")
            lines.append(f"{cell['scenario']}: total time p50 direct {fmt(ms(latency(cell['direct']).get('p50')), 3)} ms, "
                         f"gateway {fmt(ms(latency(g).get('p50')), 3)} ms; events per stream "
                         f"{(g.get('events_per_stream') or {}).get('mean', '-')} (every event relayed, `[DONE]` checked).")
    return lines


def feature_rows(latest):
    lines = ["| configuration (chat, c=64) | req/s lost vs baseline (median; rounds) | req/s | p50 ms | p99 ms | "
             "gateway CPU µs/req | errors | rows dropped | rounds req/s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for f in latest.get("features", []):
        r = f["result"]
        l = latency(r)
        lost = "-"
        if r.get("cost_pct") is not None:
            lost = f"{r['cost_pct']:.1f}% ({', '.join(f'{c:.1f}' for c in r.get('rounds_cost_pct', []))})"
        lines.append(f"| {f['variant']} | {lost} | {fmt(r.get('rps'), 0)} | {fmt(ms(l.get('p50')), 3)} | "
                     f"{fmt(ms(l.get('p99')), 3)} | "
                     f"{fmt(r.get('gateway_cpu_us_per_req'))} | {(r.get('errors') or {}).get('total', '?')} | "
                     f"{r.get('dropped_rows', '-')} | "
                     f"{', '.join(f'{v:,}' for v in r.get('rounds_rps', [])) or '-'} |")
    return lines


def peer_rows(peers):
    lines = [f"Measured {peers['measured_at']} with `{peers['command']}`: {peers['harness']}; "
             f"{len(peers['orders'])} trials, orders: " + "; ".join(" → ".join(o) for o in peers["orders"]) + ". "
             f"Peers: {peers['versions'].get('litellm') or 'litellm ?'}, {peers['versions'].get('portkey') or 'portkey ?'}. "
             "Figures are medians (range) over the trials.", "",
             "| target | chat c=1 p50 ms (added) | chat c=64 req/s | chat c=256 req/s | CPU µs/req (c=64) | paced TTFB added ms | cold start s | idle RSS MB | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def med(label, cell, figure, digits=2):
        v = peers["cells"].get(label, {}).get(cell, {}).get(figure)
        if not v:
            return "-"
        spread = f" ({fmt(v['min'], digits)}–{fmt(v['max'], digits)})" if v["n"] > 1 else ""
        return f"{fmt(v['median'], digits)}{spread}"

    def foot(label, key):
        v = peers["footprint"].get(label, {}).get(key)
        return fmt(v["median"], 2) if v else "-"

    for label in ("direct", "ours", "portkey", "litellm"):
        if label not in peers["cells"]:
            continue
        lines.append(f"| {label} | {med(label, 'chat@1', 'p50_ms', 3)} ({med(label, 'chat@1', 'added_p50_ms', 3)}) | "
                     f"{med(label, 'chat@64', 'rps', 0)} | {med(label, 'chat@256', 'rps', 0)} | "
                     f"{med(label, 'chat@64', 'gateway_cpu_us_per_req', 0)} | {med(label, 'paced@16', 'added_ttfb_p50_ms', 2)} | "
                     f"{foot(label, 'cold_start_s')} | {foot(label, 'idle_rss_mb')} | {foot(label, 'peak_rss_mb')} |")
    ours = best_rps(peers["cells"].get("ours", {}))
    for peer in ("portkey", "litellm"):
        theirs = best_rps(peers["cells"].get(peer, {}))
        if ours and theirs:
            lines.append("")
            lines.append(f"Saturated throughput ours / {peer}: **{ours / theirs:,.1f}×** ({ours:,.0f} vs {theirs:,.0f} req/s).")
    return lines


def render():
    latest, peers, callgrind = load("latest.json"), load("peers-latest.json"), load("callgrind-latest.json")
    out = ["# Benchmarks", "",
           "Generated by `bench/report.py` from `bench/results/*.json`; do not edit by hand. "
           "Reproduce with the commands below (one machine, loopback only). The method follows "
           "`../shared/BENCH.md`: every scenario is measured against the fake provider called directly, in the "
           "same run; added latency is the gateway's percentile minus the direct one.", ""]
    if latest:
        meta = latest["meta"]
        m = meta["machine"]
        out += [f"Last run: {meta['started']} on {m['cpu']} ({m['cores']} cores, shared VM), kernel {m['kernel']}. "
                f"Command: `{meta['command']}` ({meta['duration_s']} s per load run). Load generator: `loadgen` "
                "(in repo; HDR histograms, closed loop unless a rate is given, open-loop runs corrected for "
                "coordinated omission). Fake provider: `fake-upstream` in fast mode (precomputed answers, no recording).", ""]
        out += ["## Targets", "", "| target | goal | measured | status |", "|---|---|---:|---|"]
        out += targets_table(latest, peers, callgrind)
        out += ["", "## Scenarios (gateway vs direct, same run)", ""] + scenario_rows(latest)
        foot = latest.get("footprint", {})
        out += ["", f"Cold start (spawn to the first 200 chat answer): {fmt(foot.get('cold_start_s'), 4)} s. "
                f"Idle RSS: {fmt(foot.get('idle_rss_mb'))} MB. Exit code after SIGTERM: {foot.get('exit_code')}.", ""]
        out += ["## Features on vs off", "",
                "Usage rows and audit rows are written to SQLite in the background (batched); the audit log "
                "records bodies and headers (GoModel's defaults once LOGGING_ENABLED is on). Request logs are the "
                "per-request structured log line; metrics are the Prometheus series served at /metrics. "
                "The shared VM drifts by up to 2× within a minute, more than the effects measured, so each "
                "variant runs between two baseline runs (3 s each) and its cost in a round is its req/s against "
                "the mean of those two; rounds repeat with the order rotated. The cost column is the median "
                "of the rounds (every round listed); the other figures are the variant's median round, and the "
                "last column lists every round's req/s, which shows how much the machine moved. Rows dropped: "
                "usage and audit rows the writers dropped because their queue was full, over all rounds "
                "(must be 0: a dropped row is work not done).", ""] + feature_rows(latest)
    else:
        out += ["No results yet: run `bench/run`.", ""]
    out += ["", "## Peers: LiteLLM and Portkey", ""]
    out += peer_rows(peers) if peers else ["No peer run recorded yet: run `bench/run --peers`."]
    out += ["", "## Regression signal: instructions per request (callgrind)", ""]
    if callgrind:
        out += [f"Measured {callgrind['measured_at']} with `{callgrind['command']}` (one worker thread, request logs on; "
                "difference of two runs of N1 and N2 sequential requests, so start-up cancels out). Instruction counts "
                "repeat across runs whatever else the machine does; compare them between commits.", "",
                "| request | N1 / N2 | instructions per request |", "|---|---|---:|"]
        for kind, r in callgrind["results"].items():
            label = {"chat": "chat, non-stream", "chat_usage_off": "chat, non-stream, usage rows off",
                     "chat_audit": "chat, non-stream, usage rows and audit log (bodies, headers)",
                     "chat_audit_meta": "chat, non-stream, usage rows and audit log (metadata only)",
                     "chat_metrics": "chat, non-stream, usage rows and Prometheus metrics"}.get(
                kind, f"chat, stream ({callgrind.get('stream_chunks')} chunks)")
            out.append(f"| {label} | {r['requests'][0]} / {r['requests'][1]} | {r['per_request']:,} |")
    else:
        out += ["No callgrind run recorded yet: run `bench/run --callgrind`."]
    findings = ROOT / "bench" / "findings.md"
    if findings.exists():
        out += ["", findings.read_text().rstrip()]
    out += ["", "## Commands", "", "```bash",
            "bench/run                 # our scenarios vs direct; updates bench/results/latest.json and this file",
            "bench/run --callgrind     # instructions per request",
            "bench/run --peers         # LiteLLM and Portkey side by side (installs them; ~30 min)",
            "bench/run --smoke         # seconds-long check (CI)",
            "python3 bench/report.py   # re-render this file from the recorded results",
            "```", ""]
    return "\n".join(out)


def write():
    (ROOT / "BENCHMARKS.md").write_text(render())


if __name__ == "__main__":
    write()
