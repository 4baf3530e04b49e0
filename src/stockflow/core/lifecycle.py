"""Long-running pieces (loops, workers) with one start/stop shape, embeddable in any event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock

log = get_logger(__name__)


def instance_id() -> str:
    # Host and pid say where a run happened; the suffix tells apart two platforms in one process.
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Stop a background task: cancel it and wait until it has unwound (its `finally` ran)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class PeriodicTask:
    """Runs `fn` every `interval` seconds; an exception is logged and the loop goes on."""

    def __init__(self, name: str, interval: float, fn: Callable[[], Awaitable[object]],
                 clock: Clock) -> None:
        self.name = name
        self.interval = interval
        self._fn = fn
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.runs = 0
        self.failures = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _loop(self) -> None:
        while True:
            started = self._clock.monotonic()
            try:
                await self._fn()
                self.runs += 1
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                log.exception("periodic task failed", task=self.name)
            # Keep the cadence: a slow run shortens the next wait instead of stacking runs.
            elapsed = self._clock.monotonic() - started
            await self._clock.sleep(max(0.0, self.interval - elapsed))


class OneShot:
    """Runs `fn` once in the background; `done` tells readiness checks when it finished."""

    def __init__(self, name: str, fn: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self._fn = fn
        self._task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()
        self.error: BaseException | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        try:
            await self._fn()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = exc
            log.exception("background job failed", job=self.name)
        finally:
            self.done.set()

    async def stop(self) -> None:
        if self._task and not self._task.done():
            await cancel_and_wait(self._task)
