"""Structured logging: JSON lines when nobody watches, readable lines on a terminal.

Every structlog line and every access line goes through one `LineSink`, so lines keep their order
and a busy server writes many lines per system call instead of one each.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

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


# Library loggers whose INFO lines are start-up noise for a user (alembic lists its plugins).
# Libraries whose debug output is per frame or per request: at DEBUG they would flood the sink
# (and a flooded event loop misses the brokers' heartbeats); they log warnings and errors only.
QUIET_LOGGERS = ("alembic.runtime.plugins", "aiormq", "aio_pika", "httpcore", "aiohttp", "websockets",
                 "asyncio", "nats", "urllib3")


def wants_json(json_logs: bool | None, stream: TextIO) -> bool:
    """JSON lines unless a person is watching: `json_logs` None means "not on a terminal"."""
    if json_logs is not None:
        return json_logs
    isatty = getattr(stream, "isatty", None)
    return not (isatty is not None and isatty())


def configure_logging(level: str = "INFO", json_logs: bool | None = None,
                      stream: TextIO | None = None) -> None:
    """Called once by the composition root; never at import. Every logger, structlog's and the
    standard library's (uvicorn, alembic, httpx...), renders through the same processors to
    the same sink: JSON lines, or readable lines on a terminal, one record per event with its
    traceback inside."""
    stream = stream or sys.stderr
    sink = LineSink(stream)
    as_json = wants_json(json_logs, stream)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if as_json:
        renderer: Any = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        text_renderer: Any = structlog.processors.JSONRenderer(serializer=_dumps_str)
        tracebacks: list[Any] = [structlog.processors.format_exc_info]
    else:
        # Plain tracebacks: the rich ones print every frame's locals, dozens of lines each.
        renderer = text_renderer = structlog.dev.ConsoleRenderer(
            colors=not wants_json(None, stream),
            exception_formatter=structlog.dev.plain_traceback)
        tracebacks = []
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*shared, *tracebacks, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=lambda *args: _SinkLogger(sink),
        cache_logger_on_first_use=False,
    )
    _output.sink, _output.json_logs, _output.level = sink, as_json, numeric_level
    handler = _SinkHandler(sink)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tracebacks,
                    text_renderer]))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("uvicorn.access").disabled = True  # we write our own access line
    redact_every_handler()  # no stdlib line may carry a secret either (core/redact.py)
    for name in ("uvicorn", "uvicorn.error", "alembic"):
        # uvicorn's own handlers (when a log config gave it some) would print plain lines.
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric_level, logging.WARNING))


def _dumps_str(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


class _SinkHandler(logging.Handler):
    """The standard library's records, formatted by structlog, into the one sink."""

    def __init__(self, sink: LineSink) -> None:
        super().__init__()
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._sink.write(self.format(record).encode())
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


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
