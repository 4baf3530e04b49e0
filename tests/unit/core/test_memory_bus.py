"""The in-process bus: groups, ordering, retries and dead-letters."""

import asyncio

from stockflow.adapters.bus.memory import MemoryBus
from stockflow.core.events import Event, make_event
from stockflow.core.metrics import Metrics
from stockflow.testing.fakes import EventCapture


async def test_every_group_gets_every_event_in_order():
    bus = MemoryBus()
    a, b = EventCapture(), EventCapture()
    bus.subscribe("t", "g1", a)
    bus.subscribe("t", "g2", b)
    await bus.start()
    sent = [make_event("x", {"n": n}, key="K") for n in range(50)]
    await bus.publish_many("t", sent)
    await bus.drain()
    await bus.stop()
    assert [e.data["n"] for e in a.events] == list(range(50))
    assert [e.id for e in b.events] == [e.id for e in sent]


async def test_failing_handler_is_retried_then_dead_lettered_and_the_bus_goes_on():
    metrics = Metrics()
    bus = MemoryBus(max_retries=2, metrics=metrics)
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
    await bus.drain()
    await bus.drain()  # the dead letter itself travels through the bus
    await bus.stop()
    assert calls.count(1) == 3  # first try + 2 retries
    assert [e.data["n"] for e in ok.events] == [0, 2]
    assert len(dlq.events) == 1
    assert "bad payload" in dlq.events[0].data["reason"]
    assert dlq.events[0].data["event"]["data"] == {"n": 1}
    assert metrics.events_dead.labels("t", "g")._value.get() == 1
    assert metrics.events_retried.labels("t", "g")._value.get() == 2


async def test_subscribe_after_start_consumes():
    bus = MemoryBus()
    await bus.start()
    cap = EventCapture()
    bus.subscribe("late", "g", cap)
    await bus.publish("late", make_event("x", {}))
    await asyncio.wait_for(bus.drain(), 2)
    await bus.stop()
    assert len(cap.events) == 1


def test_event_round_trips_through_bytes():
    e = make_event("market.quote.updated", {"ticker": "NVDA", "price": 1.5}, key="NVDA")
    back = Event.from_bytes(e.to_bytes())
    assert back == e
    assert back.schema_version == 1
