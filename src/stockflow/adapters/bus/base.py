"""What every bus adapter shares: its groups and their members, the member tasks, start/stop,
the test hook that kills a member, publish counting, and the lag and keep-alive loops.

An adapter supplies only the broker's steps: `_new_group`, `_step` (one read of one member:
fetch, admit, dispatch, acknowledge), and where its broker needs them `_connect`,
`_disconnect`, `_ensure` (make a group exist), `_release` (a member's task ends), `_halted`
(after stop() halted the members), `_observe` (a group's backlog) and `_keep_alive`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from stockflow.adapters.bus.delivery import Delivery, Member, halt
from stockflow.core.events import Event
from stockflow.core.lifecycle import cancel_and_wait
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.ports import BatchHandler, Handler

log = get_logger(__name__)


@dataclass(eq=False)
class Group:
    """One (topic, group) as this bus knows it; adapters add their broker's handles."""

    topic: str
    name: str
    delivery: Delivery
    members: dict[str, Member] = field(default_factory=dict)


class BusBase:
    """The EventBus port's shape, with the broker-specific steps left to subclasses."""

    kind: ClassVar[str] = "bus"  # for log lines and task names
    member_type: ClassVar[type[Member]] = Member
    # Errors a consumer expects from its broker (logged as warnings); others are bugs.
    expected_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError,)

    def __init__(self, *, metrics: Metrics | None, max_retries: int, retry_delay: float,
                 stop_grace_s: float, prefetch: int = 1, lag_interval_s: float = 0.0,
                 keepalive_s: float = 0.0) -> None:
        self._metrics = metrics
        self._max_retries = max_retries
        self._retry_delay = retry_delay
        self._grace = stop_grace_s
        self._prefetch = max(1, prefetch)
        self._lag_interval = lag_interval_s  # 0: no lag loop (the adapter reports otherwise)
        self._keepalive = keepalive_s  # 0: the broker needs no keep-alive of held messages
        self._groups: dict[tuple[str, str], Group] = {}
        self._running = False
        self._closing = False
        self._background: list[asyncio.Task[None]] = []
        self._names = itertools.count(1)

    # -- subscriptions ---------------------------------------------------------------------

    def subscribe(self, topic: str, group: str, handler: Handler, *,
                  consumer: str | None = None) -> None:
        self._add_member(topic, group, handler, False, self._prefetch, 0.0, consumer)

    def subscribe_batch(self, topic: str, group: str, handler: BatchHandler, *,
                        max_batch: int = 500, max_wait: float = 0.05,
                        consumer: str | None = None) -> None:
        self._add_member(topic, group, handler, True, max(1, max_batch), max_wait, consumer)

    def _add_member(self, topic: str, group: str, handler: Any, batch: bool, count: int,
                    max_wait: float, consumer: str | None) -> None:
        g = self._group(topic, group)
        name = consumer or self._member_name(group)
        if name in g.members:
            raise ValueError(f"consumer {name!r} is already a member of {topic}/{group}")
        m = g.members[name] = self.member_type(topic, group, name, handler, batch, count,
                                               max_wait)
        if self._running:
            self._launch(g, m)

    def _group(self, topic: str, group: str) -> Group:
        g = self._groups.get((topic, group))
        if g is None:
            delivery = Delivery(topic, group, max_retries=self._max_retries,
                                retry_delay=self._retry_delay, metrics=self._metrics,
                                publish_dead=self.publish)
            g = self._groups[(topic, group)] = self._new_group(topic, group, delivery)
        return g

    def _new_group(self, topic: str, group: str, delivery: Delivery) -> Group:
        return Group(topic, group, delivery)

    def _member_name(self, group: str) -> str:
        return f"{group}-{next(self._names)}"

    async def declare(self, topic: str, group: str) -> None:
        """Make the group exist on the broker with no member running, so that it keeps the
        events published from now on (for deployments that start producers first)."""
        await self._ensure(self._group(topic, group))

    async def _ensure(self, g: Group) -> None:
        """Create the group on the broker if it is not there yet."""

    def _launch(self, g: Group, m: Member) -> None:
        m.task = asyncio.create_task(self._consume(g, m),
                                     name=f"bus:{g.topic}:{g.name}:{m.name}")

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        await self._connect()
        self._running = True
        self._closing = False
        for g in self._groups.values():
            for m in g.members.values():
                if m.task is None:
                    self._launch(g, m)
        loops: list[tuple[str, Coroutine[Any, Any, None]]] = []
        if self._lag_interval:
            loops.append(("lag", self._lag_loop()))
        if self._keepalive:
            loops.append(("keepalive", self._keepalive_loop()))
        self._background.extend(asyncio.create_task(c, name=f"bus-{self.kind}-{what}")
                                for what, c in loops)

    async def stop(self) -> None:
        """Stop consuming (running handlers get `stop_grace_s`), then close the connections.
        What a member held unacknowledged is delivered again, as the adapter describes."""
        if self._running:
            self._closing = True
            members = [m for g in self._groups.values() for m in g.members.values()]
            await halt(members, self._grace)
            await self._halted(members)
            for t in self._background:
                await cancel_and_wait(t)
            self._background = []
            self._running = False
        await self._disconnect()

    async def stop_consumer(self, topic: str, group: str, consumer: str) -> None:
        """Test hook: the member dies abruptly, without acknowledging what it holds."""
        m = self._groups[(topic, group)].members.pop(consumer)
        await cancel_and_wait(m.task)
        m.task = None

    async def _connect(self) -> None:
        """Called by start() before the members run."""

    async def _disconnect(self) -> None:
        """Called last by stop(): close the broker connections."""

    async def _halted(self, members: Sequence[Member]) -> None:
        """Called by stop() once every member task has ended."""

    # -- publishing ------------------------------------------------------------------------

    def _published(self, topic: str, n: int) -> None:
        if self._metrics and n:
            self._metrics.events_published.labels(topic).inc(n)

    async def publish(self, topic: str, event: Event) -> None:
        raise NotImplementedError

    # -- consuming -------------------------------------------------------------------------

    async def _consume(self, g: Group, m: Member) -> None:
        """One member's loop: read after read until stop(); a broker error backs off."""
        backoff = 0.0
        try:
            while not self._closing:
                try:
                    await self._step(g, m)
                    backoff = 0.0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - handlers' errors never get here
                    m.end()  # what it held comes back as the broker redelivers it
                    if self._recover(g, m, exc):
                        continue
                    backoff = min(backoff * 2 or 0.1, 5.0)
                    report = log.warning if isinstance(exc, self.expected_errors) \
                        else log.exception
                    report("bus consumer error; retrying", bus=self.kind, topic=g.topic,
                           group=g.name, error=repr(exc), retry_in=backoff)
                    await asyncio.sleep(backoff)
        finally:
            await self._release(g, m)

    async def _step(self, g: Group, m: Member) -> None:
        raise NotImplementedError

    def _recover(self, g: Group, m: Member, exc: Exception) -> bool:
        """Reset what `exc` made stale; True to read again at once instead of backing off."""
        return False

    async def _release(self, g: Group, m: Member) -> None:
        """The member's task is ending (stop, stop_consumer or cancellation)."""

    # -- background: lag, keep-alive -------------------------------------------------------

    async def _observe(self, g: Group) -> int | None:
        """The group's backlog (waiting + unacknowledged), or None when it cannot be told."""
        return None

    async def _lag_loop(self) -> None:
        while True:
            for g in list(self._groups.values()):
                try:
                    behind = await self._observe(g)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a probe must not end the loop
                    if self._closing:
                        return  # a cancellation the client turned into an error of its own
                    log.debug("bus lag probe failed", bus=self.kind, topic=g.topic,
                              error=repr(exc))
                    continue
                if behind is not None and self._metrics:
                    self._metrics.bus_consumer_lag.labels(g.topic, g.name).set(behind)
            await asyncio.sleep(self._lag_interval)

    async def _keep_alive(self, g: Group, m: Member, held: list[Any]) -> None:
        """Tell the broker the member still works on `held` (in flight longer than a round)."""

    async def _keepalive_loop(self) -> None:
        every = self._keepalive
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            for g in list(self._groups.values()):
                for m in list(g.members.values()):
                    held = list(m.inflight) if m.inflight and now - m.inflight_since > every \
                        else []
                    try:
                        await self._keep_alive(g, m, held)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - retried next round
                        if self._closing:
                            return
                        log.warning("bus keep-alive failed", bus=self.kind, error=repr(exc))
