#!/usr/bin/env python3
"""Instructions per request under callgrind: a regression signal that does not wobble.

Wall-clock figures on a shared 2-core machine move by 10% from one minute to the next;
instruction counts for the same binary and the same request sequence repeat almost exactly,
whatever else the machine is doing. The gateway (one worker thread) runs under
`valgrind --tool=callgrind` twice per request kind, with N1 and then N2 requests sent one at a
time; (Ir(N2) - Ir(N1)) / (N2 - N1) cancels start-up and shutdown and leaves the cost of one
request. Results go to bench/results/callgrind-latest.json and BENCHMARKS.md.
"""

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lib import ROOT, Proc, log, loadgen, wait_for

FAKE_PORT, GATEWAY_PORT = 19989, 18089
MASTER_KEY = "sk-bench-master-key"
CHAT = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello for a benchmark test."}]}
KINDS = {
    "chat": {"body": CHAT, "stream": False, "counts": (200, 1200)},
    "stream": {"body": dict(CHAT, stream=True), "stream": True, "counts": (100, 600)},
    # The same chat requests without usage rows: the difference to "chat" is what one usage row
    # costs in instructions (building it, the writer, SQLite), free of the VM's noise.
    "chat_usage_off": {"body": CHAT, "stream": False, "counts": (200, 1200), "env": {"USAGE_ENABLED": "false"}},
    # The audit log on top of "chat" (bodies and headers recorded, GoModel's defaults): the
    # difference is what one audit row costs. Rows are flushed at shutdown, as usage rows are.
    "chat_audit": {"body": CHAT, "stream": False, "counts": (200, 1200),
                   "env": {"LOGGING_ENABLED": "true", "LOGGING_FLUSH_INTERVAL": "1h", "LOGGING_BUFFER_SIZE": "100000"}},
    # The audit entry alone (no bodies, no headers): what the row itself costs.
    "chat_audit_meta": {"body": CHAT, "stream": False, "counts": (200, 1200),
                        "env": {"LOGGING_ENABLED": "true", "LOGGING_FLUSH_INTERVAL": "1h", "LOGGING_BUFFER_SIZE": "100000",
                                "LOGGING_LOG_BODIES": "false", "LOGGING_LOG_HEADERS": "false"}},
    # Prometheus metrics on top of "chat".
    "chat_metrics": {"body": CHAT, "stream": False, "counts": (200, 1200), "env": {"METRICS_ENABLED": "true"}},
}


def wait_for_log(path, text, timeout):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


def instructions(bin_dir, out, kind, count):
    """Total Ir of one gateway process that served `count` requests of `kind`."""
    profile = out / f"callgrind.{kind}.{count}.out"
    gateway_log = out / f"gateway.{kind}.{count}.log"
    env = {"PORT": str(GATEWAY_PORT), "WORKER_THREADS": "1", "LOG_FORMAT": "json", "LOG_LEVEL": "info",
           "GOMODEL_MASTER_KEY": MASTER_KEY, "GOMODEL_CACHE_DIR": str(out / f"cache-{kind}-{count}"),
           "OPENAI_API_KEY": "sk-bench-provider", "OPENAI_BASE_URL": f"http://127.0.0.1:{FAKE_PORT}/v1",
           "MODEL_LIST_URL": "", "SQLITE_PATH": str(out / f"gomodel-{kind}-{count}.db"),
           # Usage rows are written in full batches at shutdown rather than on a 5-second timer,
           # whose batch sizes would depend on how fast valgrind ran: the count must not.
           "USAGE_FLUSH_INTERVAL": "1h", "USAGE_BUFFER_SIZE": "100000",
           **KINDS[kind].get("env", {})}
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}", str(bin_dir / "gomodel")]
    gateway = Proc("gateway", argv, env=env, log_path=gateway_log, cwd=str(out))
    try:
        # Readiness from the log, not by polling: probes would add requests to the sequence.
        if not wait_for_log(gateway_log, "gomodel listening", 120):
            raise SystemExit(f"gateway under valgrind did not start (see {gateway_log})")
        time.sleep(1.0)  # the start-up model fetch
        spec = KINDS[kind]
        result = loadgen(bin_dir / "loadgen", f"http://127.0.0.1:{GATEWAY_PORT}/v1/chat/completions", spec["body"],
                         {"Authorization": f"Bearer {MASTER_KEY}"}, concurrency=1, duration=600,
                         stream=spec["stream"], requests=count, timeout=60)
        if result.get("ok") != count:
            raise SystemExit(f"expected {count} good answers, got {result}")
    finally:
        gateway.stop(grace=60)
    text = profile.read_text(errors="replace")
    match = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    if not match:
        raise SystemExit(f"no instruction total in {profile}")
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", default=str(ROOT / "target" / "release"))
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma list of: " + ", ".join(KINDS))
    parser.add_argument("--no-report", action="store_true", help="print only; keep the recorded results")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    bin_dir = Path(args.bin_dir).resolve()
    out = Path(tempfile.mkdtemp(prefix="gomodel-callgrind-"))
    fake = Proc("fake", [str(bin_dir / "fake-upstream"), "--port", str(FAKE_PORT), "--chunks", "30"],
                log_path=out / "fake.log")
    results = {}
    try:
        if wait_for(f"http://127.0.0.1:{FAKE_PORT}/health", timeout=10) is None:
            sys.exit("fake-upstream did not start")
        for kind in args.kinds.split(","):
            spec = KINDS[kind]
            n1, n2 = spec["counts"]
            ir1 = instructions(bin_dir, out, kind, n1)
            ir2 = instructions(bin_dir, out, kind, n2)
            per_request = round((ir2 - ir1) / (n2 - n1))
            results[kind] = {"requests": [n1, n2], "instructions": [ir1, ir2], "per_request": per_request}
            log(f"{kind}: {per_request:,} instructions per request ({n1}: {ir1:,}; {n2}: {ir2:,})")
    finally:
        fake.stop()
    if args.no_report:
        return
    record = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": "bench/run --callgrind", "worker_threads": 1, "log_level": "info",
              "stream_chunks": 30, "results": results}
    target = ROOT / "bench" / "results" / "callgrind-latest.json"
    target.write_text(json.dumps(record, indent=2) + "\n")
    import report
    report.write()
    log(f"wrote {target} and BENCHMARKS.md (raw profiles in {out})")


if __name__ == "__main__":
    main()
