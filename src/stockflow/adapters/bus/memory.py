"""In-process event bus: one queue per (topic, group), shared by the members of the group.

Events travel as objects (never serialised). A member acknowledges an event by finishing its
handler; a member stopped with events in flight (`stop_consumer`, `stop`) puts them back at the
head of the group queue. Nothing is retained for a group that has not subscribed yet.
`memory://` takes the options `queue_size` (per group; publishers wait when it is full) and
`retry_delay` (seconds, multiplied by the attempt number).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stockflow.adapters.bus.delivery import Delivery, Member, Subscriptions, halt, url_options
from stockflow.core.events import Event
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics

log = get_logger(__name__)


@dataclass(eq=False)
class _Group:
    topic: str
    name: str
    delivery: Delivery
    queue: deque[Event] = field(default_factory=deque)
    members: dict[str, Member] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # the queue has events
    space: asyncio.Event = field(default_factory=asyncio.Event)  # the queue is below its bound
    idle: asyncio.Event = field(default_factory=asyncio.Event)   # nothing queued or in flight
    unfinished: int = 0
    deliveries: dict[str, int] = field(default_factory=dict)  # event id -> count, redelivered only

    def __post_init__(self) -> None:
        self.space.set()
        self.idle.set()

    def add(self, events: Sequence[Event]) -> None:
        self.queue.extend(events)
        self.unfinished += len(events)
        self.idle.clear()
        self.ready.set()

    def finish(self, n: int) -> None:
        self.unfinished -= n
        if self.unfinished == 0:
            self.idle.set()


class MemoryBus(Subscriptions):
    def __init__(self, *, max_retries: int = 3, queue_size: int = 100_000,
                 metrics: Metrics | None = None, retry_delay: float = 0.0) -> None:
        self._groups: dict[tuple[str, str], _Group] = {}
        self._by_topic: dict[str, list[_Group]] = {}
        self._max_retries = max_retries
        self._queue_size = queue_size
        self._retry_delay = retry_delay
        self._metrics = metrics
        self._running = False
        self._names = itertools.count(1)

    # -- subscriptions ---------------------------------------------------------------------

    def _add_member(self, topic: str, group: str, handler: Any, batch: bool, max_batch: int,
                    max_wait: float, consumer: str | None) -> None:
        g = self._group(topic, group)
        name = consumer or f"{group}-{next(self._names)}"
        if name in g.members:
            raise ValueError(f"consumer {name!r} is already a member of {topic}/{group}")
        m = Member(topic, group, name, handler, batch, max_batch, max_wait)
        g.members[name] = m
        if self._running:
            self._launch(g, m)

    def _group(self, topic: str, group: str) -> _Group:
        g = self._groups.get((topic, group))
        if g is None:
            delivery = Delivery(topic, group, max_retries=self._max_retries,
                                retry_delay=self._retry_delay, metrics=self._metrics,
                                publish_dead=self.publish)
            g = self._groups[(topic, group)] = _Group(topic, group, delivery)
            self._by_topic.setdefault(topic, []).append(g)
            if self._metrics:
                self._metrics.bus_consumer_lag.labels(topic, group).set_function(
                    lambda: g.unfinished)
        return g

    def _launch(self, g: _Group, m: Member) -> None:
        m.task = asyncio.create_task(self._consume(g, m), name=f"bus:{g.topic}:{g.name}:{m.name}")

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        for g in self._groups.values():
            for m in g.members.values():
                if m.task is None:
                    self._launch(g, m)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop every member; in-flight events go back to their queue (kept for a restart)."""
        self._running = False
        await halt([m for g in self._groups.values() for m in g.members.values()], grace)

    async def stop_consumer(self, topic: str, group: str, consumer: str) -> None:
        """Test hook: the member dies abruptly; its in-flight events are redelivered."""
        g = self._groups[(topic, group)]
        m = g.members.pop(consumer)
        if m.task is not None:
            m.task.cancel()
            await asyncio.gather(m.task, return_exceptions=True)
            m.task = None

    async def drain(self) -> None:
        """Wait until every queued event has been handled, dead letters included."""
        while True:
            waiting = [g for g in self._groups.values() if g.unfinished]
            if not waiting:
                return
            for g in waiting:
                await g.idle.wait()

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> None:
        await self.publish_many(topic, (event,))

    async def publish_many(self, topic: str, events: Sequence[Event]) -> None:
        if self._metrics:
            self._metrics.events_published.labels(topic).inc(len(events))
        for g in self._by_topic.get(topic, ()):
            while len(g.queue) >= self._queue_size:
                g.space.clear()
                await g.space.wait()
            g.add(events)

    async def publish_raw(self, topic: str, payload: bytes) -> None:
        """Publish wire bytes as another process would; what does not parse is dead-lettered."""
        try:
            event = Event.from_bytes(payload)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the message's fault
            for g in self._by_topic.get(topic, ()):
                await g.delivery.unparsable(payload, exc)
            return
        await self.publish(topic, event)

    # -- consuming -------------------------------------------------------------------------

    async def _take(self, g: _Group, m: Member) -> list[Event]:
        q = g.queue
        while not q:
            g.ready.clear()
            await g.ready.wait()
        if not m.batch:
            items = [q.popleft()]
        elif len(q) <= m.max_batch:
            items = list(q)
            q.clear()
        else:
            items = [q.popleft() for _ in range(m.max_batch)]
        if m.batch and len(items) < m.max_batch and m.max_wait > 0:
            # Wait a little for a fuller batch (ticks arrive in bursts).
            loop = asyncio.get_running_loop()
            deadline = loop.time() + m.max_wait
            m.begin(items)  # already ours: a stop while we wait puts them back
            while len(items) < m.max_batch:
                left = deadline - loop.time()
                if left <= 0:
                    break
                if not q:
                    g.ready.clear()
                    try:
                        await asyncio.wait_for(g.ready.wait(), left)
                    except TimeoutError:
                        break
                    continue
                need = m.max_batch - len(items)
                items.extend(q.popleft() for _ in range(min(need, len(q))))
        if len(q) < self._queue_size:
            g.space.set()
        return items

    async def _consume(self, g: _Group, m: Member) -> None:
        try:
            while self._running:
                items = await self._take(g, m)
                m.begin(items)
                await self._handle(g, m, items)
                if g.deliveries:
                    for e in items:
                        g.deliveries.pop(e.id, None)
                m.end()
                g.finish(len(items))
        finally:
            if m.inflight:
                # Died (or stopped) mid-flight: back to the head of the queue, in order.
                items, m.inflight = m.inflight, []
                m.busy = False
                g.queue.extendleft(reversed(items))
                g.ready.set()
                for e in items:
                    g.deliveries[e.id] = g.deliveries.get(e.id, 1) + 1
                g.delivery.redelivered(len(items))

    async def _handle(self, g: _Group, m: Member, items: list[Event]) -> None:
        if g.deliveries:
            items = await self._drop_crash_loops(g, items)
            if not items:
                return
        if m.batch:
            await g.delivery.batch(m.handler, items)  # type: ignore[arg-type]
        else:
            await g.delivery.one(m.handler, items[0])  # type: ignore[arg-type]

    async def _drop_crash_loops(self, g: _Group, items: list[Event]) -> list[Event]:
        keep = []
        for e in items:
            n = g.deliveries.get(e.id, 1)
            if n > g.delivery.max_deliveries:
                await g.delivery.crashed(e, None, n)
            else:
                keep.append(e)
        return keep


_OPTIONS = {"queue_size": int, "retry_delay": float}


def make_bus(url: str, *, metrics: Metrics | None = None, max_retries: int = 3,
             **options: Any) -> MemoryBus:
    _, opts = url_options(url, _OPTIONS, options)
    return MemoryBus(metrics=metrics, max_retries=max_retries, **opts)
