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
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
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

from stockflow.adapters.bus.base import BusBase, Group
from stockflow.adapters.bus.delivery import Delivery, Member, url_options
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
class _Group(Group):
    subject: str = ""
    durable: str = ""
    ready: bool = False


class NatsJetStreamBus(BusBase):
    kind = "nats"
    member_type = _Member
    expected_errors = (Exception,)  # every consumer error is the broker's here

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
        super().__init__(metrics=metrics, max_retries=max_retries, retry_delay=retry_delay,
                         stop_grace_s=stop_grace_s, prefetch=prefetch,
                         lag_interval_s=lag_interval_s, keepalive_s=ack_wait / 3)
        self._url = url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self._deliver_policy = DeliverPolicy.ALL if deliver_policy == "all" else DeliverPolicy.NEW
        self._ack_wait = ack_wait
        self._max_ack_pending = max_ack_pending
        self._fetch_timeout = fetch_timeout
        self._stream_config = StreamConfig(
            name=stream, subjects=[f"{subject_prefix}.>"], retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE if storage == "file" else StorageType.MEMORY,
            max_age=max_age_s, max_msgs=max_msgs, max_bytes=max_bytes,
            discard=DiscardPolicy.OLD, num_replicas=replicas)
        self._publish_timeout = publish_timeout
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._connecting = asyncio.Lock()

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

    # -- groups and lifecycle -------------------------------------------------------------

    def _new_group(self, topic: str, group: str, delivery: Delivery) -> _Group:
        return _Group(topic, group, delivery, subject=self.subject(topic),
                      durable=durable_name(group, topic))

    async def _ensure(self, g: _Group) -> None:
        if g.ready:
            return
        js = await self._jetstream()
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

    async def _connect(self) -> None:
        await self._jetstream()

    async def _halted(self, members: Sequence[Member]) -> None:
        # What a cancelled handler held is nak'ed for immediate redelivery.
        for m in members:
            for msg in m.inflight:  # the ones already acked just refuse the nak
                await _quietly(msg.nak())
            m.end()

    async def _disconnect(self) -> None:
        if self._nc is not None:
            await _quietly(self._nc.flush(timeout=2))
            await self._nc.close()
            self._nc = self._js = None
            for g in self._groups.values():
                g.ready = False

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> None:
        js = await self._jetstream()
        await js.publish(self.subject(topic), event.to_bytes(), timeout=self._publish_timeout)
        self._published(topic, 1)

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
        self._published(topic, len(events))

    # -- consuming -------------------------------------------------------------------------

    async def _step(self, g: _Group, m: _Member) -> None:
        if m.sub is None:
            await self._ensure(g)
            js = await self._jetstream()
            m.sub = await js.pull_subscribe_bind(durable=g.durable, stream=self.stream)
        msgs = await self._fetch(m)
        if msgs:
            await self._process(g, m, msgs)

    def _recover(self, g: _Group, m: _Member, exc: Exception) -> bool:
        if isinstance(exc, NotFoundError):  # the consumer or stream went away: make it again
            g.ready = False
            m.sub = None
        return False

    async def _release(self, g: _Group, m: _Member) -> None:
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
        for msg in msgs:
            event = await d.admit(msg.data, msg.metadata.num_delivered)
            if event is None:
                await msg.term()  # dead-lettered: never deliver it again
                continue
            events.append(event)
            keep.append(msg)
        await d.dispatch(m, events)
        for msg in keep:
            await msg.ack()
        m.end()

    # -- background: keep-alive, lag -------------------------------------------------------

    async def _keep_alive(self, g: _Group, m: _Member, held: list[Any]) -> None:
        for msg in held:
            await _quietly(msg.in_progress())

    async def _observe(self, g: _Group) -> int | None:
        if not self._metrics or self._js is None or not g.ready:
            return None
        info = await self._js.consumer_info(self.stream, g.durable)
        return (info.num_pending or 0) + (info.num_ack_pending or 0)


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
