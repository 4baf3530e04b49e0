"""RabbitMQ batch messages (several events in one AMQP message, `adapters/bus/framing.py`) keep
the EventBus contract per event: order, one dead letter per bad event with its own reason, and
a batch acknowledged only once all its events are handled. On the real broker. (A handler
failing on one event of a published batch is the contract suite's poison-tick test: its 100
events travel as batch messages on RabbitMQ.)"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import aio_pika
import pytest

from stockflow.adapters.bus.framing import BATCH_CONTENT_TYPE, COUNT_HEADER, pack
from stockflow.adapters.bus.rabbitmq import RabbitMQBus
from stockflow.core.events import Event, make_event
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture
from stockflow.testing.services import require_service_url
from tests.contract.test_bus import RABBITMQ_URL_ENV, Kit


@pytest.fixture
async def kit() -> AsyncIterator[Kit]:
    base = require_service_url(RABBITMQ_URL_ENV, "RabbitMQ")
    k = Kit("rabbitmq", base, {"prefix": f"sftest.{uuid.uuid4().hex[:12]}.",
                               "fetch_timeout": 0.25, "stop_grace_s": 1.0}, base)
    try:
        yield k
    finally:
        await k.close()


async def _started(kit: Kit) -> tuple[RabbitMQBus, EventCapture, EventCapture]:
    """A bus with no retries, a member of group "g" on topic "t" and one reading its DLQ."""
    bus = kit.bus(max_retries=0)
    got, dead = EventCapture(), EventCapture()
    bus.subscribe("t", "g", got)
    bus.subscribe("t.dlq", "ops", dead)
    await bus.start()
    return bus, got, dead


async def _publish_batch(kit: Kit, bus: RabbitMQBus, body: bytes, count: int) -> None:
    """A batch message as another publisher would send it (a bad frame cannot come through
    publish_many, which only takes events)."""
    conn = await aio_pika.connect(kit.server)
    try:
        ex = await (await conn.channel()).get_exchange(bus.exchange("t"))
        await ex.publish(aio_pika.Message(body, content_type=BATCH_CONTENT_TYPE,
                                          headers={COUNT_HEADER: count}), routing_key="")
    finally:
        await conn.close()


async def test_a_malformed_event_in_a_batch_is_dead_lettered_alone(kit: Kit) -> None:
    bus, got, dead = await _started(kit)
    good = [make_event("x", {"n": n}, key="K") for n in range(4)]
    raws = [good[0].to_bytes(), good[1].to_bytes(), b"{not an event", good[2].to_bytes(),
            good[3].to_bytes()]
    await _publish_batch(kit, bus, pack(raws), len(raws))
    await eventually(lambda: len(got.events) == 4 and len(dead.events) == 1)
    assert [e.id for e in got.events] == [e.id for e in good]  # in order, around the bad one
    letter = dead.events[0].data
    assert "unparsable" in letter["reason"] and letter["raw"] == "{not an event"


async def test_a_batch_whose_frames_do_not_add_up_is_dead_lettered_whole(kit: Kit) -> None:
    bus, got, dead = await _started(kit)
    truncated = pack([make_event("x", {"n": n}).to_bytes() for n in range(2)])[:-3]
    await _publish_batch(kit, bus, truncated, 2)
    after = make_event("x", {"n": 2})
    await bus.publish("t", after)  # the group goes on
    await eventually(lambda: len(got.events) == 1 and len(dead.events) == 1)
    assert got.events[0].id == after.id
    assert "unparsable batch message" in dead.events[0].data["reason"]


async def test_a_partly_handled_batch_comes_back_whole_and_is_acknowledged_once(
        kit: Kit) -> None:
    """A member that dies between two slices of one batch message has acknowledged nothing:
    the next member gets the whole batch, handled slices included, and acknowledges it once.
    An idempotent store (as the tick store is) keeps each event once; the deliveries show the
    redelivery happened."""
    first, second = kit.bus(), kit.bus()
    stuck = asyncio.Event()
    deliveries: Counter[str] = Counter()
    stored: dict[str, Event] = {}

    async def store(events: list[Event]) -> None:
        for e in events:
            deliveries[e.id] += 1
            stored.setdefault(e.id, e)  # insert, skipping what is there

    async def dies_on_second_slice(events: list[Event]) -> None:
        if stored:
            stuck.set()
            await asyncio.Event().wait()  # killed here, its first slice stored, nothing acked
        await store(events)

    first.subscribe_batch("t", "g", dies_on_second_slice, max_batch=2, max_wait=0.0,
                          consumer="a")
    await first.start()
    sent = [make_event("x", {"n": n}, key="K") for n in range(6)]
    await first.publish_many("t", sent)  # one batch message of six
    await asyncio.wait_for(stuck.wait(), 10)
    await first.stop_consumer("t", "g", "a")
    second.subscribe_batch("t", "g", store, max_batch=2, max_wait=0.0, consumer="b")
    await second.start()
    await eventually(lambda: sum(deliveries.values()) >= 8)
    await asyncio.sleep(0.5)  # acknowledged: nothing more arrives
    assert list(stored) == [e.id for e in sent]
    assert [deliveries[e.id] for e in sent] == [2, 2, 1, 1, 1, 1]
