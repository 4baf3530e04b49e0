"""Where log lines go: one stream, in order, with access lines written in batches.

A server ends every request with an access line. Inside a running event loop those lines are
queued as records and written at the next loop iteration (`call_soon`): rendered together, in one
system call, late by at most one iteration. Every other line (warnings, errors, the line before a
crash) is written at once, after any queued records, so order holds and nothing important waits.
Outside a loop (CLI, other threads, interpreter exit) records are written at once too.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from stockflow.core.redact import redact, redact_tokens

Render = Callable[[Any], bytes]


class LineSink:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._binary = getattr(stream, "buffer", None)  # absent on some test capture streams
        # Lines, and (render, record) pairs rendered when written.
        self._items: list[bytes | tuple[Render, Any]] = []
        self._lock = threading.Lock()
        # The loop a flush is scheduled on. Compared with the current loop, not just "is one
        # scheduled", so a loop that closed before its flush ran cannot strand later lines.
        self._flush_on: asyncio.AbstractEventLoop | None = None
        # Thread -> the loop last seen running on it (see write_record).
        self._loops: dict[int, asyncio.AbstractEventLoop] = {}
        _open_sinks.add(self)

    def write(self, line: bytes) -> None:
        """Write one line (without its newline) now, after any queued records."""
        with self._lock:
            self._items.append(line)
        self.flush()

    def write_record(self, render: Render, record: Any) -> None:
        """Queue a line that `render(record)` makes, for the next loop iteration."""
        # The running loop, found without asyncio.get_running_loop() when possible: that makes
        # a getpid() system call on every call (CPython 3.11 checks the loop's process), which
        # cost more than the rest of an access line. A loop running on this thread is the one
        # this call runs in.
        thread = threading.get_ident()
        loop = self._loops.get(thread)
        if loop is None or not loop.is_running():
            try:
                loop = self._loops[thread] = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        with self._lock:
            self._items.append((render, record))
            schedule = loop is not None and self._flush_on is not loop
            if schedule:
                self._flush_on = loop
        if loop is None:
            self.flush()
        elif schedule:
            loop.call_soon(self.flush)

    def flush(self) -> None:
        with self._lock:
            items, self._items, self._flush_on = self._items, [], None
            if not items:
                return
            # Secrets masked here, where every line passes (core/redact.py): a written line in
            # full; records (access lines, whose fields have fixed names) by the cheap pass
            # over the whole batch, since the full one would cost more than rendering them.
            lines = [redact(item) if isinstance(item, bytes) else item[0](item[1])
                     for item in items]
            lines.append(b"")  # the final newline
            data = redact_tokens(b"\n".join(lines))
            try:
                if self._binary is not None:
                    self._stream.flush()  # text already buffered on the stream goes first
                    self._binary.write(data)
                    self._binary.flush()
                else:
                    self._stream.write(data.decode("utf-8", "replace"))
                    self._stream.flush()
            except (OSError, ValueError):
                pass  # a closed or broken stream must not take a request down with it


def _flush_all() -> None:
    for sink in list(_open_sinks):
        sink.flush()


# Lines still queued when the interpreter exits are written, not lost.
_open_sinks: weakref.WeakSet[LineSink] = weakref.WeakSet()
atexit.register(_flush_all)


class UtcIso:
    """A time in nanoseconds as `datetime.isoformat()` in UTC with "Z" for "+00:00"
    (structlog's TimeStamper format), formatting the date and time once per second."""

    def __init__(self) -> None:
        # One attribute, swapped whole, so a thread never pairs a second with another's prefix.
        self._cached: tuple[int, str] = (-1, "")

    def __call__(self, time_ns: int) -> str:
        second, fraction = divmod(time_ns // 1000, 1_000_000)
        cached_second, prefix = self._cached
        if second != cached_second:
            prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._cached = (second, prefix)
        # isoformat leaves out a zero fraction; so does this.
        return f"{prefix}.{fraction:06d}Z" if fraction else prefix + "Z"
