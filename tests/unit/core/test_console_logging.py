"""One logging for every logger: JSON lines unless on a terminal (or as STOCKFLOW_LOG__JSON
says), uvicorn and alembic through the same renderer, one record per error with its traceback."""

from __future__ import annotations

import io
import logging
import re

import orjson
import pytest

from stockflow.core.logging import configure_logging, get_logger, wants_json
from stockflow.settings import Settings


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore():
    yield
    configure_logging("WARNING")


def _boom() -> None:
    raise ValueError("the cause, inside the record")


def test_json_unless_on_a_terminal_and_the_setting_wins():
    assert wants_json(None, io.StringIO()) is True
    assert wants_json(None, Terminal()) is False
    assert wants_json(True, Terminal()) is True
    assert wants_json(False, io.StringIO()) is False
    assert Settings(log={"json": "false"}).log.json_logs is False
    assert Settings().log.json_logs is None


def test_library_lines_and_errors_are_json_records_when_piped():
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    get_logger("stockflow.test").info("ours", n=1)
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("alembic.runtime.migration").info("Running upgrade -> abc")
    try:
        _boom()
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        get_logger("stockflow.test").exception("handler failed")
    lines = out.getvalue().splitlines()
    records = [orjson.loads(line) for line in lines]  # every line is one JSON record
    assert [r["event"] for r in records] == [
        "ours", "Started server process [42]", "Running upgrade -> abc",
        "Exception in ASGI application", "handler failed"]
    assert records[1]["logger"] == "uvicorn.error" and records[1]["level"] == "info"
    for failed in records[3:]:
        assert "Traceback" in failed["exception"]
        assert "the cause, inside the record" in failed["exception"]


def test_alembic_plugin_chatter_is_not_printed_at_info():
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    logging.getLogger("alembic.runtime.plugins").info("setup plugin %s", "x")
    assert out.getvalue() == ""


def test_a_terminal_gets_readable_lines_for_every_logger():
    out = Terminal()
    configure_logging("INFO", stream=out)
    get_logger("stockflow.test").info("ours", n=1)
    logging.getLogger("uvicorn.error").info("Uvicorn running")
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # colours on a terminal
    assert "ours" in text and "n=" in text and "Uvicorn running" in text
    for line in text.splitlines():
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(line)
