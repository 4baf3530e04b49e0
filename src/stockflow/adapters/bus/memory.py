"""In-process event bus: one queue per (topic, group), shared by the members of the group.

Events travel as objects (never serialised). A member acknowledges an event by finishing its
handler; a member stopped with events in flight (`stop_consumer`, `stop`) puts them back at the
head of the group queue. Nothing is retained for a group that has not subscribed yet.
`memory://` takes the options `queue_size` (per group; publishers wait when it is full) and
`retry_delay` (seconds, multiplied by the attempt number).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stockflow.adapters.bus.base import BusBase, Group
from stockflow.adapters.bus.delivery import Delivery, Member, url_options
from stockflow.core.events import Event
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics

log = get_logger(__name__)


@dataclass(eq=False)
class _Group(Group):
    queue: deque[Event] = field(default_factory=deque)
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


class MemoryBus(BusBase):
    kind = "memory"

    def __init__(self, *, max_retries: int = 3, queue_size: int = 100_000,
                 metrics: Metrics | None = None, retry_delay: float = 0.0,
                 stop_grace_s: float = 5.0) -> None:
        super().__init__(metrics=metrics, max_retries=max_retries, retry_delay=retry_delay,
                         stop_grace_s=stop_grace_s)
        self._by_topic: dict[str, list[_Group]] = {}
        self._queue_size = queue_size

    # -- groups and lifecycle: in-flight events go back to their queue (kept for a restart) --

    def _new_group(self, topic: str, group: str, delivery: Delivery) -> _Group:
        g = _Group(topic, group, delivery)
        self._by_topic.setdefault(topic, []).append(g)
        if self._metrics:
            self._metrics.bus_consumer_lag.labels(topic, group).set_function(
                lambda: g.unfinished)
        return g

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

    async def _step(self, g: _Group, m: Member) -> None:
        items = await self._take(g, m)
        m.begin(items)
        await self._handle(g, m, items)
        if g.deliveries:
            for e in items:
                g.deliveries.pop(e.id, None)
        m.end()
        g.finish(len(items))

    async def _release(self, g: _Group, m: Member) -> None:
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
        await g.delivery.dispatch(m, items)

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
