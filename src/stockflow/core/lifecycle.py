"""Long-running pieces (loops, workers) with one start/stop shape, embeddable in any event loop."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock

log = get_logger(__name__)
T = TypeVar("T")


def instance_id() -> str:
    # Host and pid say where a run happened; the suffix tells apart two platforms in one process.
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


async def cancel_and_wait(task: asyncio.Task[Any] | None, patience: float = 10.0) -> None:
    """Stop a background task: cancel it and wait until it has unwound (its `finally` ran).

    A client library may turn a cancellation into an error of its own, which a loop that
    retries on errors then survives; so the task is cancelled again every half second, and
    after `patience` seconds it is abandoned with a warning instead of hanging the caller's
    shutdown for ever.
    """
    if task is None:
        return
    deadline = asyncio.get_running_loop().time() + patience
    while not task.done():
        task.cancel()
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            log.warning("task did not stop when cancelled; abandoned", task=task.get_name())
            return
        await asyncio.wait([task], timeout=min(0.5, left))
    if not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" at exit


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


def run_settled(main: Coroutine[Any, Any, T], *,
                loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
                patience: float = 10.0) -> T:
    """`asyncio.run`, except that the tasks still pending when `main` ends are cancelled until
    they stop (each at most `patience` seconds), not once.

    asyncio.run cancels each leftover task once and then waits for ever. A task cancelled
    during a SQLite query leaves a shielded close of its connection behind, and that close,
    cancelled in turn, awaits the driver's stopped thread in its `finally`: one cancellation
    never ends it, and `stockflow up` hung after SIGTERM until it was killed.
    """
    loop = (loop_factory or asyncio.new_event_loop)()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(main)
    finally:
        try:
            loop.run_until_complete(settle_tasks(patience))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(_bounded(loop.shutdown_default_executor(), patience))
        finally:
            asyncio.set_event_loop(None)
            loop.close()


async def settle_tasks(patience: float = 10.0) -> None:
    """Cancel every other task of the loop until it stops (each at most `patience` s)."""
    me = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    if left:
        await asyncio.gather(*(cancel_and_wait(t, patience) for t in left))


async def _bounded(step: Awaitable[None], seconds: float) -> None:
    try:
        await asyncio.wait_for(step, seconds)
    except TimeoutError:
        log.warning("default executor still busy at exit; not waited for", waited_s=seconds)
