"""Secrets never reach a log line, from structlog, an access line or any stdlib logger."""

from __future__ import annotations

import io
import logging

import pytest

from stockflow.core.logging import configure_logging, get_logger
from stockflow.core.redact import add_secret, redact

JWT = ("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0."
       "eyJzdWIiOiJ1MSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVz")
REFRESH = "Zr3x_Qp0w8v1Kd2L9sMnB4tYhU7cJ6eA5fG0iO1pQ2w"


@pytest.mark.parametrize("line", [
    f'127.0.0.1:5 - "WebSocket /v1/stream/quotes?token={JWT}" [accepted]',
    f'127.0.0.1:5 - "WebSocket /v1/stream/quotes?token={REFRESH}&x=1" 403',
    f"calling https://x.test/q?symbol=MSFT&apikey={REFRESH}",
    f'{{"event":"login","password":"{REFRESH}","level":"info"}}',
    f'{{"event":"x","body":"{{\\"refresh_token\\": \\"{REFRESH}\\"}}"}}',
    f"headers=[(b'x-api-key', b'{REFRESH}'), (b'host', b'a')]",
    f"Authorization: Bearer {REFRESH}",
    f"refresh session refresh_token={REFRESH} user=u1",
    f"login new_password='{REFRESH}'",
    f"decoded {JWT} for u1",
])
def test_secrets_are_masked_wherever_they_stand(line):
    masked = redact(line.encode()).decode()
    assert REFRESH not in masked and JWT not in masked, masked
    assert "***" in masked


def test_ordinary_lines_are_untouched():
    for line in ((b'{"request_id":"ab12","method":"GET","route":"/v1/quotes/{ticker}",'
                  b'"path":"/v1/quotes/NVDA","status":200,"duration_ms":0.4}'),
                 b"ticks stored count=120 tokens=5", b"monkey business"):
        assert redact(line) == line


def test_a_registered_value_is_masked_even_without_a_name():
    add_secret("operator-key-0123456789abcdef")
    assert redact(b"bad key operator-key-0123456789abcdef!") == b"bad key ***!"


def test_structlog_and_stdlib_lines_alike_are_masked():
    out = io.StringIO()
    configure_logging("INFO", json_logs=True, stream=out)
    try:
        get_logger("stockflow.test").info("session", refresh_token=REFRESH, password=REFRESH)
        logging.getLogger("some.library").warning("fetch %s", f"https://x.test/?token={JWT}")
        try:
            raise ValueError(f"bad token {JWT}")
        except ValueError:
            logging.getLogger("some.library").exception("failed")
    finally:
        configure_logging("WARNING")
    text = out.getvalue()
    assert "session" in text and "fetch" in text and "ValueError" in text
    assert REFRESH not in text and JWT not in text, text


async def test_an_access_line_carrying_a_token_in_its_path_is_masked():
    import asyncio

    from stockflow.core.logging import access_logger

    out = io.StringIO()
    configure_logging("INFO", json_logs=True, stream=out)
    try:
        write = access_logger()
        assert write is not None
        write("r1", "GET", "unmatched", f"/v1/quotes/{JWT}", 404, 0.001)
        await asyncio.sleep(0)
    finally:
        configure_logging("WARNING")
    assert '"path":"/v1/quotes/***"' in out.getvalue() and JWT not in out.getvalue()
