"""Event bus on RabbitMQ (AMQP 0-9-1 through aio-pika): a fanout exchange per topic, one quorum
queue per (topic, group) bound to it, shared by the members of the group.

Topic "market.ticks.raw" is exchange "stockflow.market.ticks.raw"; group "storage" reads queue
"stockflow.market.ticks.raw/storage". Dead letters go to the exchange of "<topic>.dlq", where a
parking queue of that name keeps the last `dlq_maxlen` of them even when no group reads them.

Why quorum queues and not streams: the members of a group compete for its events with one
acknowledgement per message, and what a dying member held goes back to the head of the queue
for another member. A stream is read by offset, with no such competing consumers and no
per-message acks; a classic queue is not replicated and keeps no delivery count. A quorum queue
counts deliveries (`x-delivery-count`), which bounds redelivery here: a message delivered more
than `max_retries + 1` times without an acknowledgement is dead-lettered, not handled again.

Retention differs from Redis and NATS, which keep the stream: a queue keeps the events
published once it exists. start() declares the queue of every group subscribed so far, and
publish() those of the groups this bus knows for the topic; a group that lives only in other
processes must have been declared (its workers started once, or `declare(topic, group)`).

URL: `amqp://guest:guest@127.0.0.1:5672/?prefetch=10` (`amqps://` for TLS; aio-pika's own
query options such as `heartbeat` pass through). Options, from the query string or as keyword
arguments (keywords win):

- `prefix` ("stockflow."): exchange = prefix + topic, queue = prefix + topic + "/" + group.
- `prefetch` (10): deliveries a `subscribe` member holds unacknowledged, and reads at once;
  a `subscribe_batch` member holds two batches (at most `max_prefetch`, 2000), so the next
  batch is on its way while one is handled.
- `dlq_maxlen` (100_000): length of each dead-letter parking queue (oldest dropped first);
  0 = no parking queue.
- `batch_bytes` (262_144) and `batch_events` (10): publish_many carries consecutive events
  as one batch message (see `framing`) of at most `batch_events` events, closed before it
  passes `batch_bytes`; a larger event travels alone, as a plain message. 0 bytes = one
  message per event, for consumers older than batches. The broker's cost is per message
  (about 0.3 ms of its CPU for a small one, against ~3.5 ms per MB of body), so small events
  gain most. The members of a group share messages, and each holds `prefetch` of them, so a
  batch goes to one member whole: `batch_events` stays small so that a burst still spreads
  over the members (10 cuts the broker's work on small events tenfold and shares as before).
- `publish_chunk` (1000): publish_many writes this many messages before awaiting their
  publisher confirms together; `publish_timeout` (10.0 s) for the confirms of one chunk.
- `fetch_timeout` (1.0 s): how often an idle member checks that its channel is still open.
- `lag_interval_s` (5.0): refresh of stockflow_bus_consumer_lag (the queue's ready messages
  from a passive declare, a batch counting once, plus the events this bus's members hold
  unacknowledged).
- `retry_delay` (0.0), `stop_grace_s` (5.0): as for the other adapters.

Acknowledgement: one basic.ack (multiple) per read, after the handlers returned; unparsable
and crash-looping messages are dead-lettered first and acknowledged with the rest. A read
gathers messages until they carry `max_batch` events; a batch message larger than that is
handed to a batch handler in slices of `max_batch`, and acknowledged after its last slice, so
a member that dies midway gets the whole message redelivered (handlers are idempotent, as on
every bus). Each event of a batch is admitted alone: one that does not parse, or whose
handler keeps failing, is dead-lettered with its own reason while the others are handled. A member
that dies (stop_consumer, a dropped connection, kill -9) has its channel closed by the broker,
which returns what it held to the head of the queue, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
)

from stockflow.adapters.bus.base import BusBase, Group
from stockflow.adapters.bus.delivery import DLQ_SUFFIX, Delivery, Member, url_options
from stockflow.adapters.bus.framing import (
    BATCH_CONTENT_TYPE,
    COUNT_HEADER,
    EVENT_CONTENT_TYPE,
    FrameError,
    group,
    pack,
    unpack,
)
from stockflow.core.events import Event
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics

log = get_logger(__name__)

_QUORUM = {"x-queue-type": "quorum"}


def exchange_name(prefix: str, topic: str) -> str:
    return f"{prefix}{topic}"


def queue_name(prefix: str, topic: str, group: str) -> str:
    if "/" in group:
        raise ValueError(f"group {group!r}: '/' separates topic and group in queue names")
    return f"{prefix}{topic}/{group}"


class ChannelLost(ConnectionError):
    """A member's channel closed under it (broker restart, dropped connection)."""


@dataclass(eq=False)
class _Member(Member):
    channel: AbstractChannel | None = None
    buffer: asyncio.Queue[AbstractIncomingMessage] = field(default_factory=asyncio.Queue)
    held: int = 0  # events in `buffer` and in flight, for the lag gauge


@dataclass(eq=False)
class _Group(Group):
    queue: str = ""
    declared: bool = False


class RabbitMQBus(BusBase):
    kind = "rabbitmq"
    member_type = _Member
    expected_errors = (aio_pika.exceptions.AMQPException, ConnectionError, OSError)

    def __init__(self, url: str = "amqp://guest:guest@127.0.0.1:5672/", *,
                 metrics: Metrics | None = None, max_retries: int = 3,
                 prefix: str = "stockflow.", prefetch: int = 10, max_prefetch: int = 2000,
                 dlq_maxlen: int = 100_000, batch_bytes: int = 262_144,
                 batch_events: int = 10, publish_chunk: int = 1000,
                 publish_timeout: float = 10.0, fetch_timeout: float = 1.0,
                 lag_interval_s: float = 5.0, retry_delay: float = 0.0,
                 stop_grace_s: float = 5.0) -> None:
        super().__init__(metrics=metrics, max_retries=max_retries, retry_delay=retry_delay,
                         stop_grace_s=stop_grace_s, prefetch=prefetch,
                         lag_interval_s=lag_interval_s)
        self._url = url
        self.prefix = prefix
        self._max_prefetch = max(1, max_prefetch)
        self._dlq_maxlen = dlq_maxlen
        self._batch_bytes = max(0, batch_bytes)
        self._batch_events = max(1, batch_events) if batch_bytes > 0 else 1
        self._chunk = max(1, publish_chunk)
        self._publish_timeout = publish_timeout
        self._fetch_timeout = fetch_timeout
        self._conn: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None  # publishing (confirms) and declaring
        self._probe: AbstractChannel | None = None  # passive declares, whose 404 closes it
        self._exchanges: dict[str, AbstractExchange] = {}
        self._declared: set[str] = set()  # exchanges and queues, for `declared`
        self._lock = asyncio.Lock()

    def exchange(self, topic: str) -> str:
        return exchange_name(self.prefix, topic)

    @property
    def declared(self) -> list[str]:
        """Names of the exchanges and queues this bus declared (for clean-up by tests)."""
        return sorted(self._declared)

    # -- connection and topology -----------------------------------------------------------

    async def _connection(self) -> AbstractConnection:
        if self._conn is None or self._conn.is_closed:
            self._conn = await aio_pika.connect(
                self._url, client_properties={"connection_name": "stockflow-bus"})
            self._channel = self._probe = None
            self._exchanges.clear()
        return self._conn

    async def _admin(self) -> AbstractChannel:
        if self._channel is None or self._channel.is_closed:
            conn = await self._connection()
            self._channel = await conn.channel(publisher_confirms=True)
            self._exchanges.clear()  # exchange objects belong to the closed channel
        return self._channel

    async def _exchange(self, topic: str) -> AbstractExchange:
        ex = self._exchanges.get(topic)
        if ex is not None and not ex.channel.is_closed:
            return ex
        async with self._lock:
            ch = await self._admin()
            ex = await ch.declare_exchange(self.exchange(topic), aio_pika.ExchangeType.FANOUT,
                                           durable=True)
            self._declared.add(ex.name)
            if topic.endswith(DLQ_SUFFIX) and self._dlq_maxlen:
                # Dead letters are kept for inspection even when no group reads them.
                parking = await ch.declare_queue(
                    ex.name, durable=True, arguments={**_QUORUM, "x-overflow": "drop-head",
                                                      "x-max-length": self._dlq_maxlen})
                await parking.bind(ex)
                self._declared.add(parking.name)
            self._exchanges[topic] = ex
        return ex

    def _new_group(self, topic: str, group: str, delivery: Delivery) -> _Group:
        return _Group(topic, group, delivery, queue=queue_name(self.prefix, topic, group))

    async def _ensure(self, g: _Group) -> None:
        if g.declared:
            return
        ex = await self._exchange(g.topic)
        async with self._lock:
            if not g.declared:
                q = await (await self._admin()).declare_queue(g.queue, durable=True,
                                                              arguments=_QUORUM)
                await q.bind(ex)
                self._declared.add(g.queue)
                g.declared = True

    async def _connect(self) -> None:
        # Every group subscribed before start() keeps events from here on, whoever publishes.
        for g in list(self._groups.values()):
            await self._ensure(g)

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        self._channel = self._probe = None
        self._exchanges.clear()
        if conn is not None and not conn.is_closed:
            await conn.close()

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> None:
        await self.publish_many(topic, (event,))

    async def publish_many(self, topic: str, events: Sequence[Event]) -> None:
        ex = await self._exchange(topic)
        for g in [g for g in self._groups.values() if g.topic == topic and not g.declared]:
            await self._ensure(g)  # a group of this bus subscribed after start()
        # Written in order (aiormq serialises publishes on the channel), then confirmed
        # together: one round trip per chunk of messages instead of one per event. Each run
        # of events is encoded just before it is sent.
        runs = group(((e.id, e.to_bytes()) for e in events), self._batch_bytes,
                     self._batch_events)
        sends = []
        for run in runs:
            sends.append(ex.publish(_message(run), routing_key="", mandatory=False))
            if len(sends) >= self._chunk:
                await asyncio.wait_for(asyncio.gather(*sends), self._publish_timeout)
                sends = []
        if sends:
            await asyncio.wait_for(asyncio.gather(*sends), self._publish_timeout)
        self._published(topic, len(events))

    # -- consuming -------------------------------------------------------------------------

    async def _step(self, g: _Group, m: _Member) -> None:
        if m.channel is None or m.channel.is_closed:
            await self._open(g, m)
        msgs = await self._fetch(m)
        if msgs:
            await self._process(g, m, msgs)

    async def _open(self, g: _Group, m: _Member) -> None:
        await self._release(g, m)
        await self._ensure(g)
        conn = await self._connection()
        ch = await conn.channel(publisher_confirms=False)
        m.channel = ch
        m.buffer = asyncio.Queue()
        m.held = 0
        held = self._prefetch if not m.batch else \
            max(m.max_batch, min(2 * m.max_batch, self._max_prefetch))
        await ch.set_qos(prefetch_count=min(held, 65_535))  # a 16-bit field in AMQP
        queue = await ch.get_queue(g.queue, ensure=False)
        buffer = m.buffer

        async def arrived(msg: AbstractIncomingMessage) -> None:
            buffer.put_nowait(msg)  # before any await: deliveries stay in order
            m.held += _count(msg)

        await queue.consume(arrived, no_ack=False, consumer_tag=m.name)

    async def _fetch(self, m: _Member) -> list[AbstractIncomingMessage]:
        buf = m.buffer
        if buf.empty():
            try:
                async with asyncio.timeout(self._fetch_timeout):
                    first = await buf.get()
            except TimeoutError:
                if m.channel is None or m.channel.is_closed:
                    raise ChannelLost(f"channel of {m.name} closed") from None
                return []
        else:
            first = buf.get_nowait()
        msgs = [first]
        # Up to max_batch events, not messages: a batch message counts as what it carries.
        n = _drain(buf, msgs, m.max_batch, _count(first))
        if m.batch and n < m.max_batch and m.max_wait > 0:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + m.max_wait
            while n < m.max_batch and (left := deadline - loop.time()) > 0:
                try:
                    async with asyncio.timeout(left):
                        msgs.append(await buf.get())
                except TimeoutError:
                    break
                n = _drain(buf, msgs, m.max_batch, n + _count(msgs[-1]))
        return msgs

    async def _process(self, g: _Group, m: _Member, msgs: list[AbstractIncomingMessage]) -> None:
        d = g.delivery
        m.begin(msgs)
        events: list[Event] = []
        for msg in msgs:
            deliveries = int((msg.headers or {}).get("x-delivery-count", 0)) + 1
            for raw in await _bodies(d, msg):
                event = await d.admit(raw, deliveries)
                if event is not None:
                    events.append(event)
        step = m.max_batch if m.batch else max(1, len(events))
        for i in range(0, len(events), step):
            await d.dispatch(m, events[i:i + step])
        await msgs[-1].ack(multiple=True)  # the read, dead-lettered ones included
        m.held -= sum(_count(msg) for msg in msgs)
        m.end()

    def _recover(self, g: _Group, m: _Member, exc: Exception) -> bool:
        if isinstance(exc, aio_pika.exceptions.ChannelNotFoundEntity):
            g.declared = False  # the queue or exchange was deleted: declare it again
        return False

    async def _release(self, g: _Group, m: _Member) -> None:
        # Closing the channel hands what the member held back to the queue.
        ch, m.channel = m.channel, None
        if ch is not None and not ch.is_closed:
            try:
                await ch.close()
            except Exception as exc:  # noqa: BLE001 - the broker requeues either way
                log.debug("rabbitmq member channel close failed", error=repr(exc))

    # -- background: lag -------------------------------------------------------------------

    async def _observe(self, g: _Group) -> int | None:
        if not self._metrics or not g.declared or self._conn is None:
            return None
        if self._probe is None or self._probe.is_closed:
            self._probe = await self._conn.channel(publisher_confirms=False)
        q = await self._probe.declare_queue(g.queue, passive=True)
        ready = q.declaration_result.message_count or 0
        # Waiting batch messages count once each (the broker counts messages); what the
        # members hold counts in events.
        held = sum(m.held for m in g.members.values() if isinstance(m, _Member))
        return ready + held


def _message(run: list[tuple[str, bytes]]) -> aio_pika.Message:
    """One event as a plain message, as before batches; several as one batch message."""
    first_id, raw = run[0]
    if len(run) == 1:
        return aio_pika.Message(raw, message_id=first_id, content_type=EVENT_CONTENT_TYPE,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    return aio_pika.Message(pack(r for _, r in run), message_id=first_id,
                            content_type=BATCH_CONTENT_TYPE, headers={COUNT_HEADER: len(run)},
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


def _count(msg: AbstractIncomingMessage) -> int:
    """Events a message carries, as its publisher declared them (for sizing reads only)."""
    if msg.content_type != BATCH_CONTENT_TYPE:
        return 1
    try:
        return max(1, int((msg.headers or {}).get(COUNT_HEADER, 1)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1


async def _bodies(d: Delivery, msg: AbstractIncomingMessage) -> list[bytes]:
    """The encoded events of a message; a batch whose frames do not add up is dead-lettered
    whole, since where one event ends and the next begins can no longer be told."""
    if msg.content_type != BATCH_CONTENT_TYPE:
        return [msg.body]
    try:
        return unpack(msg.body)
    except FrameError as exc:
        await d.unparsable(msg.body, f"unparsable batch message: {exc}")
        return []


def _drain(buf: asyncio.Queue[Any], into: list[Any], limit: int, events: int) -> int:
    while events < limit and not buf.empty():
        into.append(msg := buf.get_nowait())
        events += _count(msg)
    return events


_OPTIONS = {"prefix": str, "prefetch": int, "max_prefetch": int, "dlq_maxlen": int,
            "batch_bytes": int, "batch_events": int, "publish_chunk": int, "publish_timeout": float, "fetch_timeout": float,
            "lag_interval_s": float, "retry_delay": float, "stop_grace_s": float}


def make_bus(url: str, *, metrics: Metrics | None = None, max_retries: int = 3,
             **options: Any) -> RabbitMQBus:
    clean, opts = url_options(url, _OPTIONS, options)
    return RabbitMQBus(clean, metrics=metrics, max_retries=max_retries, **opts)
