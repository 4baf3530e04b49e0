"""PubSub contract, run on every adapter: in-process and Redis (STOCKFLOW_TEST_REDIS_URL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stockflow.core import registry
from stockflow.core.metrics import Metrics
from stockflow.core.ports import PubSub
from stockflow.testing.eventually import eventually
from stockflow.testing.services import require_service_url

REDIS_URL_ENV = "STOCKFLOW_TEST_REDIS_URL"


class Kit:
    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url
        self.made: list[Any] = []

    def pubsub(self, **kwargs: Any) -> Any:
        ps = registry.build("pubsub", self.url, **kwargs)
        self.made.append(ps)
        return ps

    def peer(self, ps: Any, **kwargs: Any) -> Any:
        """Another process; in-process there is only the one hub."""
        return ps if self.kind == "memory" else self.pubsub(**kwargs)


@pytest.fixture(params=["memory", "redis"])
async def kit(request) -> AsyncIterator[Kit]:
    if request.param == "memory":
        k = Kit("memory", "memory://")
    else:
        url = require_service_url(REDIS_URL_ENV, "Redis")
        # A per-test channel prefix keeps parallel runs on one Redis apart.
        prefix = f"stockflow-test:{uuid.uuid4().hex[:12]}:"
        k = Kit("redis", f"{url}{'&' if '?' in url else '?'}prefix={prefix}")
    try:
        yield k
    finally:
        for ps in k.made:
            await ps.close()


async def next_message(sub: Any, timeout: float = 5.0) -> tuple[str, bytes]:
    return await asyncio.wait_for(sub.__anext__(), timeout)


async def test_implements_the_port(kit: Kit) -> None:
    assert isinstance(kit.pubsub(), PubSub)


async def test_every_subscriber_of_a_channel_gets_the_message(kit: Kit) -> None:
    publisher = kit.pubsub()
    listener = kit.peer(publisher)
    a, b = listener.subscribe("quotes.AAPL"), listener.subscribe("quotes.AAPL")
    other = listener.subscribe("quotes.MSFT")
    for sub in (a, b, other):
        await sub.ready()
    await publisher.publish("quotes.AAPL", b"\x00{\"p\":1}")
    assert await next_message(a) == ("quotes.AAPL", b"\x00{\"p\":1}")
    assert await next_message(b) == ("quotes.AAPL", b"\x00{\"p\":1}")
    await publisher.publish("quotes.MSFT", b"m")
    assert await next_message(other) == ("quotes.MSFT", b"m")  # and nothing else before it


async def test_a_slow_subscriber_loses_the_oldest_messages_and_counts_them(kit: Kit) -> None:
    metrics = Metrics()
    hub = kit.pubsub(queue_size=3, metrics=metrics)
    sub = hub.subscribe("ticks")
    await sub.ready()
    for n in range(10):
        await hub.publish("ticks", str(n).encode())
    await eventually(lambda: sub.dropped == 7)
    assert [(await next_message(sub))[1] for _ in range(3)] == [b"7", b"8", b"9"]
    assert metrics.registry.get_sample_value("stockflow_pubsub_dropped_total") == 7


async def test_closing_a_subscription_ends_it_and_spares_the_others(kit: Kit) -> None:
    hub = kit.pubsub()
    gone, stays = hub.subscribe("c"), hub.subscribe("c")
    await gone.ready()
    await gone.close()
    with pytest.raises(StopAsyncIteration):
        await next_message(gone)
    await hub.publish("c", b"x")
    assert await next_message(stays) == ("c", b"x")

    received: list[bytes] = []

    async def consume() -> None:
        async for _, message in stays:
            received.append(message)

    task = asyncio.create_task(consume())
    await hub.publish("c", b"y")
    await eventually(lambda: received == [b"y"])
    await stays.close()
    await asyncio.wait_for(task, 2)  # iteration ends on close


async def test_resubscribing_after_the_last_subscriber_left(kit: Kit) -> None:
    hub = kit.pubsub()
    first = hub.subscribe("c")
    await first.ready()
    await first.close()
    second = hub.subscribe("c")
    await second.ready()
    await hub.publish("c", b"again")
    assert await next_message(second) == ("c", b"again")
