"""Shared bench plumbing: a StockFlow server in a subprocess with a raw reference endpoint
mounted beside it, and wrk as the load generator (one core each on a 2-core machine)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

import httpx

HERE = Path(__file__).resolve().parent
RAW_PATH = "/__raw"
UNREACHABLE_LIMIT = "1000000000/minute"
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python bench/_serve.py` with the bench settings; stopped with SIGTERM."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.mkdtemp(prefix="stockflow-bench-")
        self.env = {**os.environ, "STOCKFLOW_DATA_DIR": self.tmp,
                    "STOCKFLOW_SIMULATOR__BACKFILL_YEARS": "1",
                    "STOCKFLOW_SIMULATOR__BACKFILL_MINUTE_DAYS": "1",
                    # The benches measure throughput: anonymous callers get real-time data
                    # through the full edge (auth and rate limiting included), under a limit
                    # they never reach.
                    "STOCKFLOW_AUTH__ANONYMOUS_TIER": "enterprise",
                    "STOCKFLOW_AUTH__ANONYMOUS_RATE_LIMIT": UNREACHABLE_LIMIT,
                    **(extra_env or {})}

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "_serve.py"), str(self.port)],
                                     env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/ready", timeout=2).status_code == 200:
                    self.settle()
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not become ready")

    def settle(self, *, below: float = 0.10, timeout: float = 180.0) -> float:
        """Wait until the server's own start-up work (the deep-history backfill after /ready)
        is done: until a second passes in which it used less than `below` of a core.

        Ready is not idle: for about twenty seconds after /ready the server spends half a
        core backfilling, and a timed run that overlaps it measures that work, not requests,
        and by how much depends on which run it overlaps. Returns the seconds waited."""
        start = time.monotonic()
        used = cpu_seconds(self.proc.pid)
        while time.monotonic() - start < timeout:
            time.sleep(1.0)
            now = cpu_seconds(self.proc.pid)
            if now - used < below:
                return time.monotonic() - start
            used = now
        raise RuntimeError(f"server still busy {timeout:.0f} s after /ready")

    def wrk(self, path: str, **options: object) -> dict[str, float]:
        """`wrk` on this server, with the server's CPU time per request (`cpu_us`, user plus
        system from /proc): the figure a shared machine moves least."""
        used = cpu_seconds(self.proc.pid)
        result = wrk(self.base + path, **options)  # type: ignore[arg-type]
        result["cpu_us"] = (cpu_seconds(self.proc.pid) - used) / max(result["requests"], 1) * 1e6
        return result

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (Linux /proc), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, *, seconds: int = 8, connections: int = 32,
        headers: dict[str, str] | None = None) -> dict[str, float]:
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk (Debian package 'wrk')")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    extra = [arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")]
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", f.name,
                          *extra, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def row(name: str, r: dict[str, float], ref: dict[str, float] | None = None) -> str:
    ratio = f"{r['rps'] / ref['rps']:.2f}x" if ref else "1.00x (reference)"
    return (f"| {name} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.2f} | {r['p95_us'] / 1000:.2f} "
            f"| {r['p99_us'] / 1000:.2f} | {ratio} |")


HEADER = ("| endpoint | req/s | p50 ms | p95 ms | p99 ms | vs raw |\n"
          "|---|---:|---:|---:|---:|---:|")
