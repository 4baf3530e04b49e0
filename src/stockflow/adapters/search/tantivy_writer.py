"""The one IndexWriter a Tantivy folder allows, taken for a burst of writes and given back.

Tantivy lets one writer at a time hold a folder (a lock file), across processes. Holding it for
the life of `stockflow up` would lock out `stockflow search reindex` (or a worker run on its
own on the same data folder); so the writer is taken when a write comes and given back after
`idle_seconds` without one, or after `max_hold_seconds` of steady writes (news arrive all day),
when the holder then waits `yield_seconds` before taking it again so that a waiting process gets
its turn. A process that finds the folder locked retries until `lock_wait_seconds` have passed,
as SQLite waits out its busy_timeout.

Every method runs on the index's write thread, never on the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import tantivy


class IndexLocked(RuntimeError):
    """Another writer kept the index folder for longer than the wait allows."""


class WriterLease:
    def __init__(self, index: tantivy.Index, *, heap_bytes: int, threads: int,
                 idle_seconds: float, lock_wait_seconds: float, max_hold_seconds: float = 2.0,
                 yield_seconds: float = 0.25, on_acquire: Callable[[], None]) -> None:
        self.index = index
        self.heap_bytes = heap_bytes
        self.threads = threads
        self.idle_seconds = idle_seconds
        self.lock_wait_seconds = lock_wait_seconds
        self.max_hold_seconds = max_hold_seconds
        self.yield_seconds = yield_seconds
        self._on_acquire = on_acquire  # another process may have written since we last held it
        self._writer: tantivy.IndexWriter | None = None
        self._last_used = self._taken_at = self._yield_until = 0.0

    @property
    def held(self) -> bool:
        return self._writer is not None

    def acquire(self) -> tantivy.IndexWriter:
        if self._writer is None:
            if (pause := self._yield_until - time.monotonic()) > 0:
                time.sleep(pause)
            deadline = time.monotonic() + self.lock_wait_seconds
            while True:
                try:
                    self._writer = self.index.writer(self.heap_bytes, self.threads)
                    break
                except ValueError as exc:
                    if "LockBusy" not in str(exc):
                        raise
                    if time.monotonic() >= deadline:
                        raise IndexLocked("the search index folder is held by another writer "
                                          f"(waited {self.lock_wait_seconds:g} s)") from exc
                    time.sleep(0.05)
            self._on_acquire()
            self._taken_at = time.monotonic()
        self._last_used = time.monotonic()
        return self._writer

    def release_if_due(self) -> None:
        """Between two writes: give the writer back when idle, or when held long enough."""
        if self._writer is None:
            return
        now = time.monotonic()
        if now - self._taken_at >= self.max_hold_seconds:
            self.release()
            self._yield_until = time.monotonic() + self.yield_seconds
        elif now - self._last_used >= self.idle_seconds:
            self.release()

    def discard(self) -> None:
        """Drop a writer that failed (its uncommitted work goes with it)."""
        self._writer = None

    def release(self) -> None:
        """Finish the merges under way and free the lock (waiting consumes the writer)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.wait_merging_threads()
