#!/usr/bin/env python3
"""GoModel next to LiteLLM and Portkey, in the same run, with the shared peer harness.

Uses ../shared/bench (its mock upstream, wrk, ssebench, and the peers' install/start scripts):
installs the peers if needed, builds the shared mock, writes a targets file with our gateway
added, and runs the shared driver three times with the gateways in a shuffled order, the
direct call first and last in every trial. Medians and ranges of the three trials, and the
ratios ours/peer, go to bench/results/peers-latest.json and BENCHMARKS.md.

A trial whose two direct runs differ by more than 10% at c=1 is discarded (BENCH.md protocol).
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lib import ROOT, log

SHARED = ROOT.parent / "shared" / "bench"
MASTER_KEY = "sk-bench"


def ensure_tools(target_dir):
    if not shutil.which("wrk"):
        sys.exit("wrk is required (apt-get install wrk)")
    for script in ("litellm/install.sh", "portkey/install.sh"):
        subprocess.run(["bash", str(SHARED / script)], check=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir))
    subprocess.run(["cargo", "build", "--release", "--manifest-path", str(SHARED / "mock-openai" / "Cargo.toml")],
                   check=True, env=env)
    return target_dir / "release" / "mock-openai", target_dir / "release" / "ssebench"


def targets_file(bin_dir, work):
    targets = json.loads((SHARED / "targets.json").read_text())
    targets["ours"] = {
        "start": [str(bin_dir / "gomodel")],
        "env": {
            "PORT": "8080", "LOG_FORMAT": "json", "GOMODEL_MASTER_KEY": MASTER_KEY, "MODEL_LIST_URL": "",
            "SQLITE_PATH": str(work / "gomodel.db"),
            "GOMODEL_CACHE_DIR": str(work / "cache"),
            "OPENAI_API_KEY": "sk-bench-provider", "OPENAI_BASE_URL": "http://127.0.0.1:9999/v1",
            "OPENAI_PACED_API_KEY": "sk-bench-provider", "OPENAI_PACED_BASE_URL": "http://127.0.0.1:9998/v1",
        },
        "url": "http://127.0.0.1:8080",
        "model": "openai/gpt-4o-mini",
        "paced_model": "openai-paced/gpt-4o-mini",
        "embed_model": "openai/text-embedding-3-small",
        "headers": {"Authorization": f"Bearer {MASTER_KEY}"},
        "ready_timeout_s": 30,
    }
    path = work / "targets.json"
    path.write_text(json.dumps(targets, indent=2))
    return path


def run_trial(index, targets_path, mock_bin, ssebench_bin, work, duration, seed):
    middle = ["ours", "portkey", "litellm"]
    random.Random(seed).shuffle(middle)
    order = ["direct", *middle, "direct"]
    out = work / f"trial-{index}"
    log(f"trial {index}: {' -> '.join(order)}")
    subprocess.run([sys.executable, str(SHARED / "bench.py"), "--targets", ",".join(order),
                    "--targets-file", str(targets_path), "--duration", str(duration),
                    "--mock-bin", str(mock_bin), "--ssebench-bin", str(ssebench_bin), "--out", str(out)],
                   check=True)
    return order, json.loads((out / "results.json").read_text())


def direct_drift(results):
    """Relative difference of the two direct runs' c=1 p50."""
    directs = [r for r in results if r["label"].startswith("direct")]
    p50s = [x["p50_ms"] for r in directs for x in r["runs"] if x["scenario"] == "chat" and x["concurrency"] == 1 and "p50_ms" in x]
    if len(p50s) < 2 or not p50s[0]:
        return None
    return abs(p50s[1] - p50s[0]) / p50s[0]


def aggregate(trials):
    """Per target, scenario and concurrency: median and range of each figure over trials."""
    figures = ("rps", "p50_ms", "p90_ms", "p99_ms", "ttfb_p50_ms", "total_p50_ms", "gateway_cpu_us_per_req",
               "errors", "peak_rss_mb")
    table, footprint = {}, {}
    for _, data in trials:
        direct = {(x["scenario"], x["concurrency"]): x for r in data["results"] if r["label"] == "direct" for x in r["runs"]}
        for r in data["results"]:
            label = r["label"].split("#")[0]
            if r["label"] == "direct#2":
                continue
            for key in ("cold_start_s", "idle_rss_mb", "peak_rss_mb"):
                if r.get(key) is not None:
                    footprint.setdefault(label, {}).setdefault(key, []).append(r[key])
            for x in r["runs"]:
                cell = table.setdefault(label, {}).setdefault(f"{x['scenario']}@{x['concurrency']}", {})
                for f in figures:
                    if x.get(f) is not None:
                        cell.setdefault(f, []).append(x[f])
                base = direct.get((x["scenario"], x["concurrency"]))
                if base and label != "direct":
                    for f in ("p50_ms", "p99_ms", "ttfb_p50_ms"):
                        if x.get(f) is not None and base.get(f) is not None:
                            cell.setdefault("added_" + f, []).append(round(x[f] - base[f], 3))

    def summarize(values):
        return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}

    return ({label: {cell: {f: summarize(v) for f, v in fs.items()} for cell, fs in cells.items()}
             for label, cells in table.items()},
            {label: {k: summarize(v) for k, v in fs.items()} for label, fs in footprint.items()})


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", default=str(ROOT / "target" / "release"))
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"the shared peer harness is not at {SHARED}")
    work = Path(tempfile.mkdtemp(prefix="gomodel-peers-"))
    mock_bin, ssebench_bin = ensure_tools(ROOT / "target" / "shared-bench")
    targets_path = targets_file(Path(args.bin_dir), work)
    trials, discarded = [], []
    seed = int(time.time())
    index = 0
    while len(trials) < args.trials and index < args.trials + 2:
        index += 1
        order, data = run_trial(index, targets_path, mock_bin, ssebench_bin, work, args.duration, seed + index)
        drift = direct_drift(data["results"])
        if drift is not None and drift > 0.10:
            log(f"trial {index} discarded: direct runs differ by {drift:.0%} at c=1")
            discarded.append({"order": order, "drift": drift})
            continue
        trials.append((order, data))
    table, footprint = aggregate(trials)
    record = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": f"bench/run --peers --trials {args.trials} --duration {args.duration}",
        "harness": "../shared/bench/bench.py (wrk -t1, ssebench, mock-openai)",
        "orders": [order for order, _ in trials], "discarded": discarded,
        "versions": {"litellm": version("litellm"), "portkey": version("portkey")},
        "meta": trials[0][1]["meta"] if trials else {},
        "cells": table, "footprint": footprint, "raw_dir": str(work),
    }
    path = ROOT / "bench" / "results" / "peers-latest.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    import report
    report.write()
    log(f"wrote {path} and BENCHMARKS.md")


def version(peer):
    script = SHARED / peer / "install.sh"
    out = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else None


if __name__ == "__main__":
    main()
