"""In-process event bus: one queue per (topic, group), one consumer task per group.

A single consumer per group keeps per-key order without bookkeeping; the bus never swallows a
handler's error: it retries, then dead-letters to `<topic>.dlq` with the reason, counting both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from stockflow.core.events import Event, make_event
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.ports import Handler

log = get_logger(__name__)


@dataclass
class _Group:
    topic: str
    name: str
    handlers: list[Handler]
    queue: asyncio.Queue[Event]
    task: asyncio.Task[None] | None = None
    pending: set[str] = field(default_factory=set)


class MemoryBus:
    def __init__(self, *, max_retries: int = 3, queue_size: int = 100_000,
                 metrics: Metrics | None = None, retry_delay: float = 0.0) -> None:
        self._groups: dict[tuple[str, str], _Group] = {}
        self._max_retries = max_retries
        self._queue_size = queue_size
        self._retry_delay = retry_delay
        self._metrics = metrics
        self._running = False

    def subscribe(self, topic: str, group: str, handler: Handler) -> None:
        key = (topic, group)
        if key in self._groups:
            self._groups[key].handlers.append(handler)
            return
        g = _Group(topic, group, [handler], asyncio.Queue(self._queue_size))
        self._groups[key] = g
        if self._running:
            g.task = asyncio.create_task(self._consume(g), name=f"bus:{topic}:{group}")

    async def start(self) -> None:
        self._running = True
        for g in self._groups.values():
            if g.task is None:
                g.task = asyncio.create_task(self._consume(g), name=f"bus:{g.topic}:{g.name}")

    async def stop(self) -> None:
        self._running = False
        for g in self._groups.values():
            if g.task is not None:
                g.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await g.task
                g.task = None

    async def drain(self) -> None:
        """Wait until every queued event has been handled (tests and graceful shutdown)."""
        for g in list(self._groups.values()):
            await g.queue.join()

    async def publish(self, topic: str, event: Event) -> None:
        if self._metrics:
            self._metrics.events_published.labels(topic).inc()
        for g in self._groups.values():
            if g.topic == topic:
                await g.queue.put(event)

    async def publish_many(self, topic: str, events: Sequence[Event]) -> None:
        for e in events:
            await self.publish(topic, e)

    async def _consume(self, g: _Group) -> None:
        while True:
            event = await g.queue.get()
            try:
                await self._deliver(g, event)
            finally:
                g.queue.task_done()

    async def _deliver(self, g: _Group, event: Event) -> None:
        attempt = 0
        while True:
            try:
                for handler in g.handlers:
                    await handler(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a handler's bug must not stop the group
                attempt += 1
                if attempt > self._max_retries:
                    await self._dead_letter(g, event, exc)
                    return
                if self._metrics:
                    self._metrics.events_retried.labels(g.topic, g.name).inc()
                if self._retry_delay:
                    await asyncio.sleep(self._retry_delay * attempt)
                continue
            if self._metrics:
                self._metrics.events_handled.labels(g.topic, g.name).inc()
            return

    async def _dead_letter(self, g: _Group, event: Event, exc: Exception) -> None:
        if self._metrics:
            self._metrics.events_dead.labels(g.topic, g.name).inc()
        log.warning("event dead-lettered", topic=g.topic, group=g.name, event_id=event.id,
                    reason=repr(exc))
        dlq = make_event("bus.dead_letter", {
            "topic": g.topic, "group": g.name, "reason": repr(exc),
            "attempts": self._max_retries + 1, "event": event.model_dump(mode="json"),
        }, key=event.key)
        if not g.topic.endswith(".dlq"):
            await self.publish(f"{g.topic}.dlq", dlq)


def make_bus(url: str, *, metrics: Metrics | None = None, max_retries: int = 3) -> MemoryBus:
    return MemoryBus(metrics=metrics, max_retries=max_retries)
