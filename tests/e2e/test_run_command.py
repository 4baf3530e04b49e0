"""The command behind `make run` starts, answers /health, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import orjson

from stockflow.testing.eventually import eventually_sync

STOCKFLOW = Path(sys.executable).with_name("stockflow")
from tests.conftest import free_port


def test_stockflow_up_serves_health_and_exits_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ,
           "STOCKFLOW_DATA_DIR": str(tmp_path),
           "STOCKFLOW_SIMULATOR__BACKFILL_YEARS": "1",
           "STOCKFLOW_SIMULATOR__BACKFILL_MINUTE_DAYS": "1",
           # A live quote right after start: free-tier (delayed) quotes wait for stored bars.
           "STOCKFLOW_AUTH__ANONYMOUS_TIER": "enterprise"}
    proc = subprocess.Popen([str(STOCKFLOW), "up", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def answered() -> httpx.Response:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)

        health = eventually_sync(answered, timeout=60, interval=0.2,
                                 ignore=(httpx.TransportError,), message="/health answered")
        assert health.status_code == 200
        assert health.json()["data"]["status"] == "ok"
        quote = httpx.get(f"http://127.0.0.1:{port}/v1/quotes/NVDA", timeout=5)
        assert quote.status_code == 200
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output
        assert (tmp_path / "stockflow.db").exists()
        # Piped, every line of every logger (uvicorn's and alembic's too) is one JSON record,
        # and the pipeline's per-batch lines are debug, not INFO.
        records = [_json_or_none(line) for line in output.splitlines()]
        plain = [line for line, r in zip(output.splitlines(), records, strict=True) if r is None]
        assert plain == [], plain
        assert not [r for r in records if r["event"] == "ticks stored"]
        # One JSON access line per request, with the route template, status and timing.
        access = [line for line in records if line.get("event") == "request"]
        quote_lines = [a for a in access if a["path"] == "/v1/quotes/NVDA"]
        assert len(quote_lines) == 1, access
        assert quote_lines[0]["route"] == "/v1/quotes/{ticker}"
        assert quote_lines[0]["status"] == 200 and quote_lines[0]["duration_ms"] >= 0
        assert quote_lines[0]["request_id"] == quote.headers["x-request-id"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _json_or_none(line: str) -> dict | None:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
