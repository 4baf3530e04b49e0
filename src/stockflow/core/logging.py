"""Structured logging: JSON lines in production shape, readable lines when asked.

Every structlog line and every access line goes through one `LineSink`, so lines keep their order
and a busy server writes many lines per system call instead of one each.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import TextIO

import orjson
import structlog

from stockflow.core.logsink import LineSink, UtcIso
from stockflow.core.redact import redact_every_handler

# (request_id, method, route template, path, status, duration in seconds) -> None
AccessLogger = Callable[[str, str, str, str, int, float], None]


class _Output:
    """What configure_logging chose; access loggers are made from it."""

    sink: LineSink | None = None
    json_logs: bool = True
    level: int = logging.INFO


_output = _Output()


class _SinkLogger:
    """structlog's final logger: hands each rendered line (bytes from the orjson renderer, str
    from the console renderer) to the sink."""

    def __init__(self, sink: LineSink) -> None:
        self._sink = sink

    def msg(self, message: str | bytes) -> None:
        self._sink.write(message if isinstance(message, bytes) else message.encode())

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def configure_logging(level: str = "INFO", json_logs: bool = True,
                      stream: TextIO | None = None) -> None:
    """Called once by the composition root; never at import."""
    stream = stream or sys.stderr
    sink = LineSink(stream)
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (structlog.processors.JSONRenderer(serializer=orjson.dumps) if json_logs
                else structlog.dev.ConsoleRenderer(colors=False))
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=lambda *args: _SinkLogger(sink),
        cache_logger_on_first_use=False,
    )
    _output.sink, _output.json_logs, _output.level = sink, json_logs, numeric_level
    # Libraries log through stdlib; route them to the same stream at the same level.
    logging.basicConfig(level=level.upper(), stream=stream, format="%(message)s", force=True)
    logging.getLogger("uvicorn.access").disabled = True  # we write our own access line
    redact_every_handler()  # no stdlib line may carry a secret either (core/redact.py)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def access_logger(name: str = "stockflow.access") -> AccessLogger | None:
    """The per-request access line writer, or None when INFO lines are filtered out.

    In JSON mode the request queues a record and the sink renders it with orjson when it writes
    (at the next loop iteration): the same keys, in the same order, as structlog's JSON renderer
    writes for `log.info("request", ...)`, without running the processor chain on every request
    (bound context variables are not merged into access lines). The timestamp is taken when the
    request ends, as structlog would take it.
    """
    if _output.level > logging.INFO:
        return None
    sink = _output.sink
    if sink is None or not _output.json_logs:
        log = get_logger(name)

        def through_structlog(request_id: str, method: str, route: str, path: str,
                              status: int, duration: float) -> None:
            log.info("request", request_id=request_id, method=method, route=route, path=path,
                     status=status, duration_ms=round(duration * 1000, 3))

        return through_structlog

    write_record, dumps, iso = sink.write_record, orjson.dumps, UtcIso()

    def render(record: tuple[str, str, str, str, int, float, int]) -> bytes:
        request_id, method, route, path, status, duration, at = record
        return dumps({"request_id": request_id, "method": method, "route": route, "path": path,
                      "status": status, "duration_ms": round(duration * 1000, 3),
                      "event": "request", "level": "info", "timestamp": iso(at)})

    def as_json(request_id: str, method: str, route: str, path: str, status: int,
                duration: float) -> None:
        # The request pays for a tuple; the line is rendered with its neighbours at the flush.
        write_record(render, (request_id, method, route, path, status, duration, time.time_ns()))

    return as_json
