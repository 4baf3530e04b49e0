"""EventBus contract, run on every adapter: in-process, Redis Streams, NATS JetStream, RabbitMQ.

The brokers run as real servers (STOCKFLOW_TEST_REDIS_URL, STOCKFLOW_TEST_NATS_URL,
STOCKFLOW_TEST_RABBITMQ_URL); each test gets its own key prefix / stream and subject prefix /
exchange and queue prefix, removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import nats
import pytest
import redis.asyncio as aioredis
from nats.js.errors import NotFoundError

from stockflow.core import registry
from stockflow.core.events import Event, make_event
from stockflow.core.metrics import Metrics
from stockflow.core.ports import EventBus
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture
from stockflow.testing.services import require_service_url

REDIS_URL_ENV = "STOCKFLOW_TEST_REDIS_URL"
NATS_URL_ENV = "STOCKFLOW_TEST_NATS_URL"
RABBITMQ_URL_ENV = "STOCKFLOW_TEST_RABBITMQ_URL"


class Kit:
    """Buses of one adapter sharing one isolated namespace, plus raw access to the back end."""

    def __init__(self, kind: str, url: str, options: dict[str, Any],
                 server: str = "") -> None:
        self.kind = kind
        self.url = url
        self.server = server or url  # for raw clients: without the bus options
        self.options = options
        self.buses: list[Any] = []

    def bus(self, **kwargs: Any) -> Any:
        bus = registry.build("bus", self.url, **self.options, **kwargs)
        self.buses.append(bus)
        return bus

    def peer(self, bus: Any, **kwargs: Any) -> Any:
        """Another process on the same bus; in-process there is only the one bus."""
        return bus if self.kind == "memory" else self.bus(**kwargs)

    async def inject_raw(self, bus: Any, topic: str, payload: bytes) -> None:
        if self.kind == "memory":
            await bus.publish_raw(topic, payload)
        elif self.kind == "redis":
            await bus.client.xadd(bus.key(topic), {"e": payload})
        elif self.kind == "rabbitmq":
            conn = await aio_pika.connect(self.server)
            try:
                exchange = await (await conn.channel()).get_exchange(bus.exchange(topic))
                await exchange.publish(aio_pika.Message(payload), routing_key="")
            finally:
                await conn.close()
        else:
            nc = await nats.connect(self.server)
            try:
                await nc.jetstream().publish(bus.subject(topic), payload)
            finally:
                await nc.close()

    async def close(self) -> None:
        for bus in self.buses:
            await bus.stop()
        if self.kind == "redis":
            client = aioredis.Redis.from_url(self.server)
            keys = [k async for k in client.scan_iter(match=f"{self.options['prefix']}*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
        elif self.kind == "rabbitmq":
            conn = await aio_pika.connect(self.server)
            try:
                channel = await conn.channel()
                for name in {n for bus in self.buses for n in bus.declared}:
                    if "/" in name or name.endswith(".dlq"):
                        await channel.queue_delete(name)
                for name in {n for bus in self.buses for n in bus.declared}:
                    await channel.exchange_delete(name)
            finally:
                await conn.close()
        elif self.kind == "nats":
            nc = await nats.connect(self.server)
            try:
                with contextlib.suppress(NotFoundError):  # never started: never created
                    await nc.jetstream().delete_stream(self.options["stream"])
            finally:
                await nc.close()


@pytest.fixture(params=["memory", "redis", "nats", "rabbitmq"])
async def kit(request) -> AsyncIterator[Kit]:
    tag = uuid.uuid4().hex[:12]
    if request.param == "memory":
        k = Kit("memory", "memory://", {})
    elif request.param == "redis":
        base = require_service_url(REDIS_URL_ENV, "Redis")
        # claim_idle_ms travels in the URL, as in deployments; the rest as keywords.
        url = f"{base}{'&' if '?' in base else '?'}claim_idle_ms=300"
        k = Kit("redis", url, {"prefix": f"stockflow-test:{tag}:", "block_ms": 100,
                               "lag_interval_s": 0.1, "stop_grace_s": 1.0}, base)
    elif request.param == "rabbitmq":
        base = require_service_url(RABBITMQ_URL_ENV, "RabbitMQ")
        k = Kit("rabbitmq", f"{base}{'&' if '?' in base else '?'}prefetch=10",
                {"prefix": f"sftest.{tag}.", "fetch_timeout": 0.25, "lag_interval_s": 0.1,
                 "stop_grace_s": 1.0}, base)
    else:
        url = require_service_url(NATS_URL_ENV, "NATS")
        k = Kit("nats", url, {"stream": f"SFTEST_{tag}", "subject_prefix": f"sftest_{tag}",
                              "ack_wait": 1.0, "fetch_timeout": 0.25, "storage": "memory",
                              "lag_interval_s": 0.1, "stop_grace_s": 1.0})
    try:
        yield k
    finally:
        await k.close()


def counter(metrics: Metrics, name: str, topic: str, group: str) -> float:
    return metrics.registry.get_sample_value(name, {"topic": topic, "group": group}) or 0.0


# -- the contract --------------------------------------------------------------------------------

async def test_implements_the_port(kit: Kit) -> None:
    assert isinstance(kit.bus(), EventBus)


async def test_publish_and_consume_round_trips_the_event(kit: Kit) -> None:
    bus = kit.bus()
    cap = EventCapture()
    bus.subscribe("t", "g", cap)
    await bus.start()
    sent = make_event("x", {"n": 1, "nested": {"a": [1, 2.5, None]}}, key="K")
    await bus.publish("t", sent)
    await eventually(lambda: cap.events)
    assert cap.events == [sent]


async def test_every_group_gets_every_event_in_order(kit: Kit) -> None:
    bus = kit.bus()
    a, b = EventCapture(), EventCapture()
    bus.subscribe("t", "g1", a)
    bus.subscribe("t", "g2", b)
    await bus.start()
    sent = [make_event("x", {"n": n}, key="K") for n in range(50)]
    await bus.publish_many("t", sent)
    await eventually(lambda: len(a.events) == len(b.events) == 50)
    assert [e.data["n"] for e in a.events] == list(range(50))
    assert [e.id for e in b.events] == [e.id for e in sent]


async def test_a_burst_of_large_events_arrives_whole_and_in_order(kit: Kit) -> None:
    # Several MiB in one publish_many: an adapter may send it in parts, never lose or reorder.
    bus = kit.bus()
    cap = EventCapture()
    bus.subscribe("t", "g", cap)
    await bus.start()
    sent = [make_event("x", {"n": n, "pad": "x" * 300_000}) for n in range(12)]
    await bus.publish_many("t", sent)
    await eventually(lambda: len(cap.events) >= 12)
    assert [e.id for e in cap.events] == [e.id for e in sent]
    assert cap.events[-1].data == sent[-1].data


async def test_events_of_one_key_keep_publish_order_with_one_member(kit: Kit) -> None:
    bus = kit.bus()
    cap = EventCapture()
    bus.subscribe("t", "g", cap)
    await bus.start()
    keys = ["AAPL", "MSFT", "NVDA"]
    sent = [make_event("x", {"n": n}, key=keys[n % 3]) for n in range(300)]
    await bus.publish_many("t", sent[:100])
    for e in sent[100:150]:
        await bus.publish("t", e)
    await bus.publish_many("t", sent[150:])
    await eventually(lambda: len(cap.events) >= 300)
    for k in keys:
        assert [e.id for e in cap.events if e.key == k] == [e.id for e in sent if e.key == k]


async def test_a_declared_group_keeps_what_is_published_before_its_members_run(kit: Kit):
    # Producers may start first (another process): a declared group misses nothing.
    publisher = kit.bus()
    await publisher.declare("t", "g")
    await publisher.start()
    sent = [make_event("x", {"n": n}, key="K") for n in range(20)]
    await publisher.publish_many("t", sent)
    consumer = kit.peer(publisher)
    cap = EventCapture()
    consumer.subscribe("t", "g", cap)
    await consumer.start()
    await eventually(lambda: len(cap.events) >= 20)
    assert [e.id for e in cap.events] == [e.id for e in sent]


async def test_subscribe_after_start_consumes(kit: Kit) -> None:
    bus = kit.bus()
    await bus.start()
    cap = EventCapture()
    bus.subscribe("late", "g", cap)
    await bus.publish("late", make_event("x", {}))
    await eventually(lambda: len(cap.events) == 1, timeout=5)


async def test_failing_handler_is_retried_then_dead_lettered_and_the_bus_goes_on(kit: Kit):
    metrics = Metrics()
    bus = kit.bus(max_retries=2, metrics=metrics)
    calls: list[int] = []
    ok = EventCapture()
    dlq = EventCapture()

    async def flaky(event: Event) -> None:
        calls.append(event.data["n"])
        if event.data["n"] == 1:
            raise ValueError("bad payload")
        await ok(event)

    bus.subscribe("t", "g", flaky)
    bus.subscribe("t.dlq", "ops", dlq)
    await bus.start()
    for n in range(3):
        await bus.publish("t", make_event("x", {"n": n}))
    await eventually(lambda: len(ok.events) == 2 and len(dlq.events) == 1)
    assert calls.count(1) == 3  # first try + 2 retries
    assert [e.data["n"] for e in ok.events] == [0, 2]
    letter = dlq.events[0]
    assert letter.type == "bus.dead_letter"
    assert "bad payload" in letter.data["reason"]
    assert letter.data["event"]["data"] == {"n": 1}
    assert (letter.data["topic"], letter.data["group"], letter.data["attempts"]) == ("t", "g", 3)
    assert metrics.events_dead.labels("t", "g")._value.get() == 1
    assert metrics.events_retried.labels("t", "g")._value.get() == 2


async def test_an_unacknowledged_event_is_redelivered_after_its_member_dies(kit: Kit) -> None:
    metrics = Metrics()
    first = kit.bus(metrics=metrics)
    received = asyncio.Event()

    async def stuck(event: Event) -> None:
        received.set()
        await asyncio.Event().wait()  # never returns, never acknowledges

    first.subscribe("t", "g", stuck, consumer="doomed")
    await first.start()
    sent = make_event("x", {"n": 1}, key="K")
    await first.publish("t", sent)
    await asyncio.wait_for(received.wait(), 10)
    await first.stop_consumer("t", "g", "doomed")  # dies without acknowledging

    second = kit.peer(first, metrics=metrics)
    cap = EventCapture()
    second.subscribe("t", "g", cap, consumer="survivor")
    await second.start()
    await eventually(lambda: cap.events)
    assert [e.id for e in cap.events] == [sent.id]
    assert counter(metrics, "stockflow_bus_redelivered_total", "t", "g") >= 1


async def test_an_event_whose_consumers_keep_dying_is_dead_lettered(kit: Kit) -> None:
    metrics = Metrics()
    first = kit.bus(max_retries=0, metrics=metrics)
    received = asyncio.Event()

    async def crashing(event: Event) -> None:
        received.set()
        await asyncio.Event().wait()

    first.subscribe("t", "g", crashing, consumer="doomed")
    await first.start()
    await first.publish("t", make_event("x", {"n": 7}))
    await asyncio.wait_for(received.wait(), 10)
    await first.stop_consumer("t", "g", "doomed")

    second = kit.peer(first, max_retries=0, metrics=metrics)
    cap, dlq = EventCapture(), EventCapture()
    second.subscribe("t", "g", cap, consumer="survivor")
    second.subscribe("t.dlq", "ops", dlq)
    await second.start()
    await eventually(lambda: dlq.events)
    assert cap.events == []
    assert dlq.events[0].data["event"]["data"] == {"n": 7}
    assert "without acknowledgement" in dlq.events[0].data["reason"]
    assert dlq.events[0].data["attempts"] == 2


async def test_members_of_a_group_share_the_events(kit: Kit) -> None:
    bus = kit.bus()
    got: dict[str, list[str]] = {"a": [], "b": []}

    def member(name: str):
        async def handle(event: Event) -> None:
            got[name].append(event.id)
            await asyncio.sleep(0.002)  # slow enough that one member cannot take everything
        return handle

    bus.subscribe("t", "g", member("a"), consumer="a")
    bus.subscribe("t", "g", member("b"), consumer="b")
    await bus.start()
    sent = [make_event("x", {"n": n}) for n in range(200)]
    await bus.publish_many("t", sent)
    await eventually(lambda: len(got["a"]) + len(got["b"]) >= 200)
    await asyncio.sleep(0.2)  # nothing more may arrive
    assert got["a"] and got["b"]
    assert sorted(got["a"] + got["b"]) == sorted(e.id for e in sent)


async def test_batch_subscription_gets_batches_in_order(kit: Kit) -> None:
    bus = kit.bus()
    batches: list[list[Event]] = []

    async def handle(events: list[Event]) -> None:
        batches.append(events)

    bus.subscribe_batch("t", "g", handle, max_batch=100, max_wait=0.02)
    await bus.start()
    sent = [make_event("tick", {"n": n}, key="K") for n in range(1000)]
    await bus.publish_many("t", sent)
    await eventually(lambda: sum(map(len, batches)) >= 1000)
    assert [e.id for b in batches for e in b] == [e.id for e in sent]
    assert max(map(len, batches)) <= 100
    assert len(batches) < 100  # really batched, not one by one


async def test_failing_batch_is_retried_then_split_to_dead_letter_only_the_poison(kit: Kit):
    metrics = Metrics()
    bus = kit.bus(max_retries=1, metrics=metrics)
    handled: list[int] = []
    dlq = EventCapture()

    async def handle(events: list[Event]) -> None:
        if any(e.data["n"] == 13 for e in events):
            raise ValueError("poison tick")
        handled.extend(e.data["n"] for e in events)

    bus.subscribe_batch("t", "g", handle, max_batch=50, max_wait=0.05)
    bus.subscribe("t.dlq", "ops", dlq)
    await bus.start()
    await bus.publish_many("t", [make_event("tick", {"n": n}) for n in range(100)])
    await eventually(lambda: dlq.events and len(set(handled)) == 99)
    assert [e.data["event"]["data"]["n"] for e in dlq.events] == [13]
    assert "poison tick" in dlq.events[0].data["reason"]
    assert set(handled) == set(range(100)) - {13}
    assert metrics.events_retried.labels("t", "g")._value.get() >= 1
    assert metrics.events_dead.labels("t", "g")._value.get() == 1


async def test_unparsable_message_is_dead_lettered_and_the_consumer_goes_on(kit: Kit) -> None:
    bus = kit.bus()
    cap, dlq = EventCapture(), EventCapture()
    bus.subscribe("t", "g", cap)
    bus.subscribe("t.dlq", "ops", dlq)
    await bus.start()
    await kit.inject_raw(bus, "t", b"\x00this is not json")
    good = make_event("x", {"n": 1})
    await bus.publish("t", good)
    await eventually(lambda: cap.events and dlq.events)
    assert [e.id for e in cap.events] == [good.id]
    assert len(dlq.events) == 1
    letter = dlq.events[0].data
    assert letter["reason"].startswith("unparsable")
    assert "this is not json" in letter["raw"] and letter["group"] == "g"


async def test_consumer_lag_gauge_follows_the_backlog(kit: Kit) -> None:
    metrics = Metrics()
    bus = kit.bus(metrics=metrics)
    gate = asyncio.Event()

    async def slow(event: Event) -> None:
        await gate.wait()

    bus.subscribe("t", "g", slow)
    await bus.start()
    await bus.publish_many("t", [make_event("x", {"n": n}) for n in range(5)])
    await eventually(lambda: counter(metrics, "stockflow_bus_consumer_lag", "t", "g") == 5)
    gate.set()
    await eventually(lambda: counter(metrics, "stockflow_bus_consumer_lag", "t", "g") == 0)
