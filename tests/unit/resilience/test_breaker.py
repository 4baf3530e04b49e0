"""Circuit breaker: thresholds, failure rate, a single half-open probe; memory and Redis stores."""

from __future__ import annotations

import asyncio

import pytest

from stockflow.core.resilience import CircuitBreaker, CircuitOpenError, MemoryBreakerStore
from stockflow.core.resilience.redis_store import RedisBreakerStore
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import FakeClock


async def _fail():
    raise RuntimeError("down")


async def _ok():
    return "ok"


@pytest.fixture
def clock():
    return FakeClock()


async def _open(b: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        with pytest.raises(RuntimeError):
            await b.call(_fail)


async def test_opens_at_threshold_then_fails_fast(clock):
    b = CircuitBreaker("p", failure_threshold=3, reset_timeout=30, clock=clock)
    await _open(b, 2)
    assert b.state == "closed" and b.consecutive_failures == 2
    await _open(b, 1)
    assert b.state == "open" and b.opened_at == clock.now().timestamp()
    calls = 0

    async def counted():
        nonlocal calls
        calls += 1

    for _ in range(100):
        with pytest.raises(CircuitOpenError):
            await b.call(counted)
    assert calls == 0
    assert b.snapshot()["state"] == "open"


async def test_success_resets_consecutive_count(clock):
    b = CircuitBreaker("p", failure_threshold=3, clock=clock)
    await _open(b, 2)
    await b.call(_ok)
    await _open(b, 2)
    assert b.state == "closed" and b.consecutive_failures == 2


async def test_failure_rate_over_window(clock):
    b = CircuitBreaker("p", failure_threshold=None, failure_rate=0.5, window=10, min_calls=6,
                       clock=clock)
    for _ in range(2):
        await b.call(_ok)
        await _open(b, 1)
    assert b.state == "closed"  # 4 calls < min_calls
    await b.call(_ok)
    await _open(b, 1)
    assert b.state == "open"  # 3/6 failed


async def test_half_open_probe_success_closes_failure_reopens(clock):
    b = CircuitBreaker("p", failure_threshold=1, reset_timeout=30, clock=clock)
    await _open(b, 1)
    clock.advance(29.9)
    with pytest.raises(CircuitOpenError):
        await b.call(_ok)
    clock.advance(0.1)
    assert b.state == "half_open"
    await _open(b, 1)  # the probe fails
    assert b.state == "open" and b.opened_at == clock.now().timestamp()
    clock.advance(30)
    assert await b.call(_ok) == "ok"
    assert b.state == "closed" and b.consecutive_failures == 0


async def _one_probe_under_concurrency(b: CircuitBreaker, clock: FakeClock) -> None:
    await _open(b, 1)
    clock.advance(31)
    started = 0
    gate = asyncio.Event()

    async def slow_ok():
        nonlocal started
        started += 1
        await gate.wait()
        return "ok"

    tasks = [asyncio.create_task(b.call(slow_ok)) for _ in range(50)]
    await eventually(lambda: sum(t.done() for t in tasks) == 49,
                     message="49 callers refused while the probe is in flight")
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert started == 1
    assert sum(r == "ok" for r in results) == 1
    assert sum(isinstance(r, CircuitOpenError) for r in results) == 49
    assert b.state == "closed"


async def test_exactly_one_probe_in_half_open(clock):
    b = CircuitBreaker("p", failure_threshold=1, reset_timeout=30, clock=clock)
    await _one_probe_under_concurrency(b, clock)


async def test_cancelled_probe_gives_the_slot_back(clock):
    b = CircuitBreaker("p", failure_threshold=1, reset_timeout=30, clock=clock)
    await _open(b, 1)
    clock.advance(30)
    task = asyncio.create_task(b.call(asyncio.sleep, 10))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await b.call(_ok) == "ok"


async def test_errors_that_are_not_failures_do_not_count(clock):
    b = CircuitBreaker("p", failure_threshold=1, clock=clock)
    with pytest.raises(KeyError):
        await b.call(_raise_key, is_failure=lambda e: not isinstance(e, KeyError))
    assert b.state == "closed"


async def _raise_key():
    raise KeyError("x")


async def test_shared_memory_store_between_breakers(clock):
    store = MemoryBreakerStore()
    a = CircuitBreaker("p", failure_threshold=2, clock=clock, store=store)
    b = CircuitBreaker("p", failure_threshold=2, clock=clock, store=store)
    await _open(a, 2)
    with pytest.raises(CircuitOpenError):
        await b.call(_ok)


async def test_redis_store_shares_state_between_processes(clock, redis_store):
    a = CircuitBreaker("poly", failure_threshold=2, reset_timeout=30, clock=clock,
                       store=redis_store)
    other = RedisBreakerStore(redis_store._url, prefix=redis_store.prefix)
    try:
        b = CircuitBreaker("poly", failure_threshold=2, reset_timeout=30, clock=clock,
                           store=other)
        await _open(a, 2)
        with pytest.raises(CircuitOpenError):
            await b.call(_ok)
        assert await b.refresh() == "open"
        ttl = await redis_store.client.pttl(redis_store.prefix + "poly")
        assert 0 < ttl <= 60_000
        clock.advance(30)
        # The probe lease is SET NX: while `a` holds it, `b` cannot probe.
        assert await a.before_call() is True
        with pytest.raises(CircuitOpenError):
            await b.before_call()
        await a.record_success(True)
        assert await b.refresh() == "closed"
    finally:
        await other.close()


async def test_redis_one_probe_under_concurrency(clock, redis_store):
    b = CircuitBreaker("p", failure_threshold=1, reset_timeout=30, clock=clock,
                       store=redis_store)
    await _one_probe_under_concurrency(b, clock)
