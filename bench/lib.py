"""Shared helpers for the benchmark scripts: processes, /proc sampling, the load generator.

Standard library only, so `bench/run` works on any machine with Python 3.
"""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Proc:
    """A process we started, stopped by PID: SIGTERM, then SIGKILL after `grace` seconds."""

    def __init__(self, name, argv, env=None, log_path=None, cwd=None):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.started = time.monotonic()
        self.popen = subprocess.Popen(argv, env=full_env, cwd=cwd, stdout=self.log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=20.0):
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()
        return self.popen.returncode


def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_kb(pid):
    return status_kb(pid, "VmRSS")


def peak_rss_kb(pid):
    return status_kb(pid, "VmHWM")


def reset_peak_rss(pid):
    """Resets VmHWM to the current RSS (Linux: write 5 to clear_refs), so a peak is per run."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def http(method, url, body=None, headers=None, timeout=5.0):
    """One request; returns (status, body bytes), or (None, error text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (urllib.error.URLError, OSError) as err:
        return None, str(err).encode()


def wait_for(url, method="GET", body=None, headers=None, timeout=30.0, interval=0.002):
    """Polls until `url` answers 200; returns seconds waited, or None on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        status, _ = http(method, url, body, headers, timeout=2.0)
        if status == 200:
            return time.monotonic() - started
        time.sleep(interval)
    return None


def loadgen(binary, url, body=None, headers=None, concurrency=1, duration=5.0, stream=False,
            rate=None, requests=None, warmup=0.0, threads=1, timeout=30):
    """Runs the in-repo load generator; returns its JSON report (or {"error": ...})."""
    argv = [str(binary), "--url", url, "--concurrency", str(concurrency), "--duration", str(duration),
            "--threads", str(threads), "--timeout", str(timeout)]
    if body is not None:
        argv += ["--method", "POST", "--body", json.dumps(body), "--header", "Content-Type: application/json"]
    else:
        argv += ["--method", "GET"]
    for key, value in (headers or {}).items():
        argv += ["--header", f"{key}: {value}"]
    if stream:
        argv.append("--stream")
    if rate:
        argv += ["--rate", str(rate)]
    if requests:
        argv += ["--requests", str(requests)]
    if warmup:
        argv += ["--warmup", str(warmup)]
    limit = (duration or 0) + (warmup or 0) + 120
    out = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"error": (out.stdout + out.stderr)[-600:]}


class Window:
    """CPU and peak memory of the gateway (and the fakes' CPU) over one load run."""

    def __init__(self, gateway_pid, fake_pids):
        self.gateway_pid = gateway_pid
        self.fake_pids = fake_pids

    def __enter__(self):
        if self.gateway_pid:
            reset_peak_rss(self.gateway_pid)
            self.rss_before_kb = rss_kb(self.gateway_pid)
            self.gw0 = cpu_ticks(self.gateway_pid)
        self.fake0 = {pid: cpu_ticks(pid) for pid in self.fake_pids}
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.t0
        self.gw_ticks = cpu_ticks(self.gateway_pid) - self.gw0 if self.gateway_pid else None
        self.fake_ticks = max((cpu_ticks(pid) - t for pid, t in self.fake0.items()), default=0)
        self.peak_kb = peak_rss_kb(self.gateway_pid) if self.gateway_pid else None
        return False

    def figures(self, requests):
        figures = {"fake_cpu_pct": round(100.0 * self.fake_ticks / CLK_TCK / self.seconds, 1)}
        if self.gw_ticks is not None:
            figures["gateway_cpu_pct"] = round(100.0 * self.gw_ticks / CLK_TCK / self.seconds, 1)
            if requests:
                figures["gateway_cpu_us_per_req"] = round(self.gw_ticks / CLK_TCK * 1e6 / requests, 1)
            figures["peak_rss_mb"] = round(self.peak_kb / 1024, 1)
            # RSS when the run started: the allocator keeps memory from earlier runs, so growth
            # within a run is measured from here, not from the idle figure.
            figures["rss_before_mb"] = round(self.rss_before_kb / 1024, 1)
        return figures
