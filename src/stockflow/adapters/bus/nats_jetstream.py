"""Event bus on NATS JetStream: one stream for every topic, a durable pull consumer per group.

Topic "market.ticks.raw" is subject "stockflow.market.ticks.raw"; its dead letters go to
"stockflow.market.ticks.raw.dlq" (same stream). The durable of (group, topic) is named
"<group>__<topic>" with every character outside [A-Za-z0-9_-] replaced by "_" (plus a short
hash when that replacement happened, so distinct pairs never share a durable).

URL: `nats://host:4222?ack_wait=2&stream=STOCKFLOW`. Options, from the query string or as
keyword arguments (keywords win):

- `stream` ("STOCKFLOW"), `subject_prefix` ("stockflow"): the stream, created or updated on
  start with subjects "<subject_prefix>.>" and the limits `max_age_s` (7 days), `max_msgs`
  (-1), `max_bytes` (-1), `storage` ("file" or "memory"), `replicas` (1).
- `deliver_policy` ("all"): where a new durable starts. "all" = the beginning of the retained
  stream (a stage deployed later still sees earlier events); "new" = only later events.
- `ack_wait` (30.0 s): an unacknowledged delivery is redelivered after this long (the member
  died). A member whose handler runs long sends in-progress acks, so it keeps its messages.
  The durable's `max_deliver` is `max_retries + 2`: the last delivery is the one that
  dead-letters an event whose consumers keep dying.
- `max_ack_pending` (20_000), `prefetch` (10, the fetch size of `subscribe`;
  `subscribe_batch` fetches `max_batch`), `fetch_timeout` (1.0 s, one long-poll).
- `lag_interval_s` (5.0): refresh of stockflow_bus_consumer_lag (num_pending + ack pending).
- `retry_delay` (0.0), `stop_grace_s` (5.0), `publish_timeout` (10.0 s for the acks of one
  publish_many chunk).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.client import JetStreamContext
from nats.js.errors import APIError, NotFoundError

from stockflow.adapters.bus.delivery import (
    Delivery,
    Member,
    Subscriptions,
    cancel,
    halt,
    url_options,
)
from stockflow.core.events import Event
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics

log = get_logger(__name__)

_PUBLISH_CHUNK = 2000
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_BAD_SUBJECT = re.compile(r"[\s*>]|^\.|\.\.|\.$")


def durable_name(group: str, topic: str) -> str:
    raw = f"{group}__{topic}"
    name = _UNSAFE.sub("_", raw)
    if name != raw:
        name += "_" + hashlib.sha1(raw.encode()).hexdigest()[:8]
    return name


@dataclass(eq=False)
class _Member(Member):
    sub: JetStreamContext.PullSubscription | None = None


@dataclass(eq=False)
class _Group:
    topic: str
    name: str
    subject: str
    durable: str
    delivery: Delivery
    members: dict[str, _Member] = field(default_factory=dict)
    ready: bool = False


class NatsJetStreamBus(Subscriptions):
    def __init__(self, url: str = "nats://127.0.0.1:4222", *, metrics: Metrics | None = None,
                 max_retries: int = 3, stream: str = "STOCKFLOW",
                 subject_prefix: str = "stockflow", deliver_policy: str = "all",
                 ack_wait: float = 30.0, max_ack_pending: int = 20_000, prefetch: int = 10,
                 fetch_timeout: float = 1.0, max_age_s: float = 7 * 86400, max_msgs: int = -1,
                 max_bytes: int = -1, storage: str = "file", replicas: int = 1,
                 lag_interval_s: float = 5.0, retry_delay: float = 0.0,
                 stop_grace_s: float = 5.0, publish_timeout: float = 10.0) -> None:
        if deliver_policy not in ("all", "new"):
            raise ValueError("deliver_policy must be 'all' (retained history) or 'new'")
        if storage not in ("file", "memory"):
            raise ValueError("storage must be 'file' or 'memory'")
        self._url = url
        self._metrics = metrics
        self._max_retries = max_retries
        self.stream = stream
        self.subject_prefix = subject_prefix
        self._deliver_policy = DeliverPolicy.ALL if deliver_policy == "all" else DeliverPolicy.NEW
        self._ack_wait = ack_wait
        self._max_ack_pending = max_ack_pending
        self._prefetch = max(1, prefetch)
        self._fetch_timeout = fetch_timeout
        self._stream_config = StreamConfig(
            name=stream, subjects=[f"{subject_prefix}.>"], retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE if storage == "file" else StorageType.MEMORY,
            max_age=max_age_s, max_msgs=max_msgs, max_bytes=max_bytes,
            discard=DiscardPolicy.OLD, num_replicas=replicas)
        self._lag_interval = lag_interval_s
        self._retry_delay = retry_delay
        self._grace = stop_grace_s
        self._publish_timeout = publish_timeout
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._connecting = asyncio.Lock()
        self._groups: dict[tuple[str, str], _Group] = {}
        self._running = False
        self._closing = False
        self._background: list[asyncio.Task[None]] = []
        self._names = itertools.count(1)

    def subject(self, topic: str) -> str:
        if not topic or _BAD_SUBJECT.search(topic):
            raise ValueError(f"topic {topic!r} is not a valid NATS subject suffix")
        return f"{self.subject_prefix}.{topic}"

    async def _jetstream(self) -> JetStreamContext:
        if self._js is not None:
            return self._js
        async with self._connecting:
            if self._js is None:
                self._nc = await nats.connect(self._url, name="stockflow-bus",
                                              max_reconnect_attempts=-1)
                js = self._nc.jetstream()
                await self._ensure_stream(js)
                self._js = js
        return self._js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(self._stream_config)
        else:
            await js.update_stream(self._stream_config)

    # -- subscriptions ---------------------------------------------------------------------

    def _add_member(self, topic: str, group: str, handler: Any, batch: bool, count: int,
                    max_wait: float, consumer: str | None) -> None:
        g = self._groups.get((topic, group))
        if g is None:
            delivery = Delivery(topic, group, max_retries=self._max_retries,
                                retry_delay=self._retry_delay, metrics=self._metrics,
                                publish_dead=self.publish)
            g = self._groups[(topic, group)] = _Group(
                topic, group, self.subject(topic), durable_name(group, topic), delivery)
        name = consumer or f"{group}-{next(self._names)}"
        if name in g.members:
            raise ValueError(f"consumer {name!r} is already a member of {topic}/{group}")
        m = g.members[name] = _Member(topic, group, name, handler, batch, count, max_wait)
        if self._running:
            self._launch(g, m)

    def _launch(self, g: _Group, m: _Member) -> None:
        m.task = asyncio.create_task(self._consume(g, m), name=f"bus:{g.topic}:{g.name}:{m.name}")

    async def _ensure_consumer(self, js: JetStreamContext, g: _Group) -> None:
        if g.ready:
            return
        config = ConsumerConfig(
            name=g.durable, durable_name=g.durable, filter_subject=g.subject,
            deliver_policy=self._deliver_policy, ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait, max_deliver=g.delivery.max_deliveries + 1,
            max_ack_pending=self._max_ack_pending)
        try:
            await js.add_consumer(self.stream, config)
        except APIError as exc:
            # An existing durable with other settings keeps them; say so, then use it.
            await js.consumer_info(self.stream, g.durable)
            log.warning("existing NATS consumer kept its configuration", durable=g.durable,
                        error=str(exc))
        g.ready = True

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        await self._jetstream()
        self._running = True
        self._closing = False
        for g in self._groups.values():
            for m in g.members.values():
                if m.task is None:
                    self._launch(g, m)
        self._background = [
            asyncio.create_task(self._keepalive_loop(), name="bus-nats-keepalive"),
            asyncio.create_task(self._lag_loop(), name="bus-nats-lag"),
        ]

    async def stop(self) -> None:
        """Stop consuming (running handlers get `stop_grace_s`); what a cancelled handler held
        is nak'ed for immediate redelivery. Then close the connection."""
        if self._running:
            self._closing = True
            members = [m for g in self._groups.values() for m in g.members.values()]
            await halt(members, self._grace)
            for m in members:
                for msg in m.inflight:  # the ones already acked just refuse the nak
                    await _quietly(msg.nak())
                m.end()
            for t in self._background:
                await cancel(t)
            self._background = []
            self._running = False
        if self._nc is not None:
            await _quietly(self._nc.flush(timeout=2))
            await self._nc.close()
            self._nc = self._js = None
            for g in self._groups.values():
                g.ready = False

    async def stop_consumer(self, topic: str, group: str, consumer: str) -> None:
        """Test hook: the member dies abruptly; its messages come back after `ack_wait`."""
        m = self._groups[(topic, group)].members.pop(consumer)
        await cancel(m.task)
        m.task = None

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> None:
        js = await self._jetstream()
        await js.publish(self.subject(topic), event.to_bytes(), timeout=self._publish_timeout)
        if self._metrics:
            self._metrics.events_published.labels(topic).inc()

    async def publish_many(self, topic: str, events: Sequence[Event]) -> None:
        js = await self._jetstream()
        subject = self.subject(topic)
        for i in range(0, len(events), _PUBLISH_CHUNK):
            # Acks are awaited together: one round trip per chunk instead of per event.
            futures = [await js.publish_async(subject, e.to_bytes())
                       for e in events[i:i + _PUBLISH_CHUNK]]
            try:
                await asyncio.wait_for(asyncio.gather(*futures), self._publish_timeout)
            finally:
                for f in futures:
                    f.cancel()  # no-op when done; frees the publish window otherwise
        if self._metrics:
            self._metrics.events_published.labels(topic).inc(len(events))

    # -- consuming -------------------------------------------------------------------------

    async def _consume(self, g: _Group, m: _Member) -> None:
        backoff = 0.0
        try:
            while not self._closing:
                try:
                    if m.sub is None:
                        js = await self._jetstream()
                        await self._ensure_consumer(js, g)
                        m.sub = await js.pull_subscribe_bind(durable=g.durable,
                                                             stream=self.stream)
                    msgs = await self._fetch(m)
                    if msgs:
                        await self._process(g, m, msgs)
                    backoff = 0.0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - handlers' errors never get here
                    m.end()  # what it held is redelivered after ack_wait
                    backoff = min(backoff * 2 or 0.1, 5.0)
                    log.warning("nats bus consumer error; retrying", topic=g.topic,
                                group=g.name, error=repr(exc), retry_in=backoff)
                    if isinstance(exc, NotFoundError):
                        g.ready = False
                        m.sub = None
                    await asyncio.sleep(backoff)
        finally:
            if m.sub is not None:
                sub, m.sub = m.sub, None
                await _quietly(sub.unsubscribe())

    async def _fetch(self, m: _Member) -> list[Any]:
        assert m.sub is not None
        try:
            msgs = await m.sub.fetch(m.max_batch, timeout=self._fetch_timeout)
        except (TimeoutError, NatsTimeoutError):
            return []
        if m.batch and len(msgs) < m.max_batch and m.max_wait > 0:
            deadline = time.monotonic() + m.max_wait
            while len(msgs) < m.max_batch:
                left = deadline - time.monotonic()
                if left < 0.002:
                    break
                try:
                    msgs.extend(await m.sub.fetch(m.max_batch - len(msgs), timeout=left))
                except (TimeoutError, NatsTimeoutError):
                    break
        return msgs

    async def _process(self, g: _Group, m: _Member, msgs: list[Any]) -> None:
        d = g.delivery
        m.begin(msgs)
        events: list[Event] = []
        keep: list[Any] = []
        redelivered = 0
        for msg in msgs:
            n = msg.metadata.num_delivered
            if n > 1:
                redelivered += 1
            try:
                event = Event.from_bytes(msg.data)
            except Exception as exc:  # noqa: BLE001 - any parse failure is the message's fault
                await d.unparsable(msg.data, exc)
                await msg.term()
                continue
            if n > d.max_deliveries:
                await d.crashed(event, None, n)
                await msg.term()
                continue
            events.append(event)
            keep.append(msg)
        d.redelivered(redelivered)
        if events:
            if m.batch:
                await d.batch(m.handler, events)  # type: ignore[arg-type]
            else:
                for event in events:
                    await d.one(m.handler, event)  # type: ignore[arg-type]
        for msg in keep:
            await msg.ack()
        m.end()

    # -- background: keep-alive, lag -------------------------------------------------------

    async def _keepalive_loop(self) -> None:
        every = self._ack_wait / 3
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            for g in list(self._groups.values()):
                for m in list(g.members.values()):
                    if m.inflight and now - m.inflight_since > every:
                        for msg in list(m.inflight):
                            await _quietly(msg.in_progress())

    async def _lag_loop(self) -> None:
        while True:
            if self._metrics and self._js is not None:
                for g in list(self._groups.values()):
                    if not g.ready:
                        continue
                    try:
                        info = await self._js.consumer_info(self.stream, g.durable)
                    except asyncio.CancelledError:
                        raise
                    except (NatsError, OSError) as exc:
                        log.debug("nats bus lag probe failed", topic=g.topic, error=repr(exc))
                        continue
                    behind = (info.num_pending or 0) + (info.num_ack_pending or 0)
                    self._metrics.bus_consumer_lag.labels(g.topic, g.name).set(behind)
            await asyncio.sleep(self._lag_interval)


async def _quietly(aw: Any) -> None:
    try:
        await aw
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - best effort on the way out
        log.debug("nats bus cleanup step failed", error=repr(exc))


_OPTIONS = {"stream": str, "subject_prefix": str, "deliver_policy": str, "ack_wait": float,
            "max_ack_pending": int, "prefetch": int, "fetch_timeout": float,
            "max_age_s": float, "max_msgs": int, "max_bytes": int, "storage": str,
            "replicas": int, "lag_interval_s": float, "retry_delay": float,
            "stop_grace_s": float, "publish_timeout": float}


def make_bus(url: str, *, metrics: Metrics | None = None, max_retries: int = 3,
             **options: Any) -> NatsJetStreamBus:
    clean, opts = url_options(url, _OPTIONS, options)
    return NatsJetStreamBus(clean, metrics=metrics, max_retries=max_retries, **opts)
