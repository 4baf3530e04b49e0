"""The half-open probe slot is a lease: it expires, and only its holder's token frees it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from stockflow.core.resilience import (
    BreakerStore,
    CircuitBreaker,
    CircuitOpenError,
    MemoryBreakerStore,
)
from stockflow.core.resilience.redis_store import RedisBreakerStore
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import FakeClock

RESET, PROBE_TIMEOUT = 30, 60


@pytest.fixture
def clock():
    return FakeClock()


@dataclass
class Stores:
    """Two processes' views of one breaker, and a way to make the probe lease run out."""

    first: BreakerStore
    second: BreakerStore
    expire_lease: Callable[[str], Awaitable[None]]


@pytest.fixture
def memory_stores(clock):
    store = MemoryBreakerStore(clock)

    async def advance(_name: str) -> None:
        clock.advance(PROBE_TIMEOUT)

    return Stores(store, store, advance)


@pytest.fixture
async def redis_stores(redis_store):
    second = RedisBreakerStore(redis_store._url, prefix=redis_store.prefix)

    async def expire(name: str) -> None:
        # Redis's own expiry, shortened: the lease key vanishes as a real timeout would.
        key = redis_store.prefix + name + ":probe"
        await redis_store.client.pexpire(key, 1)
        await eventually(lambda: _gone(redis_store, key), message="probe lease expired")

    try:
        yield Stores(redis_store, second, expire)
    finally:
        await second.close()


@pytest.fixture(params=["memory", "redis"])
def stores(request) -> Stores:
    return request.getfixturevalue(f"{request.param}_stores")


async def _gone(store: RedisBreakerStore, key: str) -> bool:
    return not await store.client.exists(key)


def breaker(clock: FakeClock, store: BreakerStore | None = None) -> CircuitBreaker:
    return CircuitBreaker("vendor", failure_threshold=1, reset_timeout=RESET,
                          probe_timeout=PROBE_TIMEOUT, clock=clock, store=store)


async def _fail():
    raise RuntimeError("down")


async def open_for_probing(b: CircuitBreaker, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        await b.call(_fail)
    clock.advance(RESET)


async def in_task(fn: Callable[[], Awaitable[bool]]) -> bool:
    """Another caller: its own task, as every request or worker has."""
    return await asyncio.create_task(fn())


async def test_a_probe_that_never_answers_frees_the_slot_after_its_timeout(clock):
    b = breaker(clock)  # the in-process store the breaker makes for itself
    await open_for_probing(b, clock)
    # The probe's caller fails before it gives a verdict and never releases.
    assert await in_task(b.before_call) is True
    with pytest.raises(CircuitOpenError):
        await in_task(b.before_call)
    clock.advance(PROBE_TIMEOUT - 1)
    with pytest.raises(CircuitOpenError):
        await in_task(b.before_call)
    clock.advance(1)
    assert await in_task(b.before_call) is True


async def test_a_late_probe_does_not_free_the_lease_a_newer_probe_holds(clock, stores):
    late, newer = breaker(clock, stores.first), breaker(clock, stores.second)
    await open_for_probing(late, clock)
    assert await late.before_call() is True       # this task holds the probe lease...
    await stores.expire_lease("vendor")          # ...until it runs out
    assert await in_task(newer.before_call) is True
    await late.release(True)                      # the late probe ends with no verdict
    third = breaker(clock, stores.second)
    with pytest.raises(CircuitOpenError, match="probe in flight"):
        await in_task(third.before_call)
    await in_task(lambda: newer.record_success(True))
    assert await third.refresh() == "closed"


async def test_release_needs_the_token_the_lease_was_taken_with(stores):
    token = await stores.first.acquire_probe("vendor", PROBE_TIMEOUT)
    assert token
    assert await stores.second.acquire_probe("vendor", PROBE_TIMEOUT) is None
    await stores.second.release_probe("vendor", "someone-else")
    assert await stores.second.acquire_probe("vendor", PROBE_TIMEOUT) is None
    await stores.first.release_probe("vendor", token)
    assert await stores.second.acquire_probe("vendor", PROBE_TIMEOUT)
