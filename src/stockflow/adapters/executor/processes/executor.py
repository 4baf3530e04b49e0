"""Runs work in a pool of local worker processes (spawned, so no forked event loop or locks)."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any


class ProcessExecutor:
    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        loop = asyncio.get_running_loop()
        pool = self._ensure()
        return list(await asyncio.gather(*(loop.run_in_executor(pool, fn, x) for x in items)))

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, True)


def make_executor(url: str = "processes://", *, workers: int = 2, **_: object) -> ProcessExecutor:
    return ProcessExecutor(workers)
