"""The README's first five minutes as real commands: an account on the pro tier and its token
from the command line, `stockflow up`, a real-time quote and a live stream with that token, and
the admin API opened with the key development generated into the data folder."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from stockflow.settings import Settings
from stockflow.testing.eventually import eventually_sync
from tests.conftest import free_port

STOCKFLOW = Path(sys.executable).with_name("stockflow")
EMAIL = "first@example.com"
PASSWORD = "a long enough passphrase 42"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STOCKFLOW_") and k != "SF_API_KEY"}
    return {**env, "STOCKFLOW_DATA_DIR": str(tmp_path),
            "STOCKFLOW_SIMULATOR__BACKFILL_YEARS": "1",
            "STOCKFLOW_SIMULATOR__BACKFILL_MINUTE_DAYS": "1"}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(STOCKFLOW), *args], env=env, capture_output=True, text=True,
                          check=False, timeout=120)


def test_from_an_empty_data_folder_to_a_live_stream(tmp_path):
    env = _env(tmp_path)
    created = _cli(env, "users", "create", EMAIL, "--tier", "pro", "--password", PASSWORD)
    assert created.returncode == 0, created.stderr
    assert "pro tier" in created.stdout
    issued = _cli(env, "token", EMAIL)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.count(".") == 2  # a JWT, alone on stdout, ready for $(...)

    port = free_port()
    proc = subprocess.Popen([str(STOCKFLOW), "up", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> httpx.Response:
            assert proc.poll() is None
            r = httpx.get(f"{base}/ready", timeout=2)
            assert r.status_code == 200, r.text
            return r

        eventually_sync(ready, timeout=120, interval=0.3,
                        ignore=(httpx.TransportError, AssertionError), message="/ready")
        auth = {"Authorization": f"Bearer {token}"}
        quote = httpx.get(f"{base}/v1/quotes/BTC-USD", headers=auth, timeout=5)
        assert quote.status_code == 200, quote.text
        assert not quote.json()["meta"].get("delayed"), quote.json()["meta"]
        first = asyncio.run(_first_stream_frames(port, token))
        assert first[0]["type"] == "snapshot", first

        key_file = tmp_path / "keys" / "operator-api-key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        admin = httpx.get(f"{base}/api/admin/health", headers={"X-API-Key": key}, timeout=5)
        assert admin.status_code == 200, admin.text
        wrong = httpx.get(f"{base}/api/admin/health", headers={"X-API-Key": "x" + key},
                          timeout=5)
        assert wrong.status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()  # a hung stop fails the test without leaving a server running
            raise
    assert proc.returncode == 0, output
    assert str(key_file) in output  # the start said where the key is


async def _first_stream_frames(port: int, token: str) -> list[dict]:
    url = f"ws://127.0.0.1:{port}/v1/stream/quotes?token={token}"
    async with websockets.connect(url) as ws:
        await ws.send(orjson.dumps({"action": "subscribe", "tickers": ["BTC-USD"]}).decode())
        return [orjson.loads(await asyncio.wait_for(ws.recv(), 30))]


def test_the_commands_answer_a_taken_email_and_an_unknown_account_clearly(tmp_path):
    env = _env(tmp_path)
    assert _cli(env, "users", "create", EMAIL, "--tier", "pro").returncode == 0
    again = _cli(env, "users", "create", EMAIL)
    assert again.returncode == 1 and "already exists" in again.stderr
    unknown = _cli(env, "token", "nobody@example.com")
    assert unknown.returncode == 1 and "not known" in unknown.stderr
    bad_tier = _cli(env, "users", "create", "x@example.com", "--tier", "gold")
    assert bad_tier.returncode == 2 and "unknown tier" in bad_tier.stderr


def test_production_refuses_to_start_without_an_operator_key(tmp_path):
    from stockflow.users.keys import generate_pem

    keys = {"signing_keys": [generate_pem().decode()]}
    with pytest.raises(ValueError, match="SF_API_KEY"):
        Settings(environment="production", data_dir=tmp_path, auth=keys,
                 control={"api_key": None})
    Settings(environment="production", data_dir=tmp_path, auth=keys,
             control={"api_key": "an operator key"})
