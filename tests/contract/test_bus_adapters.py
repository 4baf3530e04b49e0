"""What only some bus adapters promise, beside the contract every one passes (test_bus.py):
the in-process bus's drain and restart, RabbitMQ's parking queue for unread dead letters,
options read from the URL, NATS durable names, events as bytes."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aio_pika
import aiormq
import pytest

from stockflow.adapters.bus.memory import MemoryBus
from stockflow.core import registry
from stockflow.core.events import Event, make_event
from stockflow.core.metrics import Metrics
from stockflow.testing.fakes import EventCapture
from stockflow.testing.services import require_service_url
from tests.contract.test_bus import RABBITMQ_URL_ENV, Kit


async def test_memory_drain_waits_for_dead_letters_too() -> None:
    bus = MemoryBus(max_retries=0)
    dlq = EventCapture()

    async def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe("t", "g", broken)
    bus.subscribe("t.dlq", "ops", dlq)
    await bus.start()
    await bus.publish_many("t", [make_event("x", {"n": n}) for n in range(3)])
    await asyncio.wait_for(bus.drain(), 2)
    await bus.stop()
    assert len(dlq.events) == 3


async def test_memory_stop_keeps_queued_events_for_a_restart() -> None:
    bus = MemoryBus()
    cap = EventCapture()
    bus.subscribe("t", "g", cap)
    await bus.publish("t", make_event("x", {}))
    await bus.start()
    await asyncio.wait_for(bus.drain(), 2)
    await bus.stop()
    await bus.publish("t", make_event("x", {}))
    await bus.start()
    await asyncio.wait_for(bus.drain(), 2)
    await bus.stop()
    assert len(cap.events) == 2


async def test_rabbitmq_keeps_dead_letters_nobody_reads_in_a_parking_queue() -> None:
    base = require_service_url(RABBITMQ_URL_ENV, "RabbitMQ")
    k = Kit("rabbitmq", base, {"prefix": f"sftest.{uuid.uuid4().hex[:12]}."}, base)
    try:
        metrics = Metrics()
        bus = k.bus(max_retries=0, metrics=metrics)

        async def broken(event: Event) -> None:
            raise RuntimeError("no handler for this")

        bus.subscribe("t", "g", broken)
        await bus.start()
        sent = make_event("x", {"n": 1})
        await bus.publish("t", sent)
        letter = await _parked(base, bus.exchange("t.dlq"))
        assert letter is not None, "no dead letter parked"
        assert metrics.events_dead.labels("t", "g")._value.get() == 1
        data = Event.from_bytes(letter.body).data
        assert data["event"]["id"] == sent.id and "no handler for this" in data["reason"]
    finally:
        await k.close()


async def _parked(url: str, queue: str, timeout: float = 10.0) -> Any:
    """The first message of `queue`, read as an operator would; None if none comes in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = await aio_pika.connect(url)
        try:
            channel = await conn.channel()
            message = await (await channel.get_queue(queue, ensure=False)).get(
                fail=False, no_ack=True)
            if message is not None:
                return message
        except (aio_pika.exceptions.ChannelNotFoundEntity,
                aiormq.exceptions.ConnectionInternalError):
            pass  # not declared yet (404), or a quorum queue still starting ("noproc")
        finally:
            await conn.close()
        await asyncio.sleep(0.05)
    return None


def test_bus_options_come_from_the_url_and_keywords_win() -> None:
    bus = registry.build("bus", "redis://127.0.0.1:6379/0?claim_idle_ms=1000&maxlen=100000"
                                "&prefix=app:", metrics=None, maxlen=5)
    assert (bus._claim_idle_ms, bus._maxlen, bus.prefix) == (1000, 5, "app:")
    assert bus._url == "redis://127.0.0.1:6379/0"
    nats_bus = registry.build("bus", "nats://127.0.0.1:4222?ack_wait=2&stream=S")
    assert (nats_bus._ack_wait, nats_bus.stream) == (2.0, "S")
    assert nats_bus.subject("market.ticks.raw") == "stockflow.market.ticks.raw"
    rabbit = registry.build("bus", "amqp://guest:guest@127.0.0.1:5672/?prefetch=7&prefix=p.",
                            prefetch=3)
    assert (rabbit._prefetch, rabbit.prefix) == (3, "p.")
    assert rabbit._url == "amqp://guest:guest@127.0.0.1:5672/"
    assert rabbit.exchange("market.ticks.raw") == "p.market.ticks.raw"
    with pytest.raises(TypeError, match="nonsense"):
        registry.build("bus", "memory://", nonsense=1)


def test_nats_durable_names_have_no_dots_and_do_not_collide() -> None:
    from stockflow.adapters.bus.nats_jetstream import durable_name

    a, b = durable_name("storage", "market.ticks"), durable_name("storage", "market_ticks")
    assert "." not in a and a != b
    assert durable_name("storage", "quotes") == "storage__quotes"


def test_event_round_trips_through_bytes() -> None:
    e = make_event("market.quote.updated", {"ticker": "NVDA", "price": 1.5}, key="NVDA")
    back = Event.from_bytes(e.to_bytes())
    assert back == e
    assert back.schema_version == 1
