"""Token bucket on a fake clock: bursts, refill, Retry-After penalties."""

from __future__ import annotations

import asyncio

import pytest

from stockflow.core.resilience import TokenBucket
from stockflow.testing.fakes import FakeClock


@pytest.fixture
def clock():
    return FakeClock()


async def _settle():
    for _ in range(5):
        await asyncio.sleep(0)


async def test_burst_then_refill(clock):
    tb = TokenBucket(3, 1.0, clock=clock)
    assert [tb.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert tb.wait_time() == pytest.approx(1.0)
    clock.advance(1.0)
    assert tb.try_acquire() and not tb.try_acquire()
    clock.advance(100)
    assert tb.snapshot()["tokens"] == 3.0  # capped


async def test_acquire_waits_on_the_clock(clock):
    tb = TokenBucket(1, 2.0, clock=clock)
    await tb.acquire()
    task = asyncio.create_task(tb.acquire())
    await _settle()
    assert not task.done()
    clock.advance(0.5)
    await _settle()
    assert task.done()


async def test_penalise_blocks_until_retry_after(clock):
    tb = TokenBucket(10, 10.0, clock=clock)
    tb.penalise(30)
    assert not tb.try_acquire() and tb.blocked_for == 30
    task = asyncio.create_task(tb.acquire())
    await _settle()
    clock.advance(29.9)
    await _settle()
    assert not task.done()
    clock.advance(0.1)
    await _settle()
    assert task.done()
    tb.penalise(None, default=2.0)
    assert tb.wait_time() == pytest.approx(2.0)


def test_rejects_bad_parameters(clock):
    with pytest.raises(ValueError):
        TokenBucket(0, 1, clock=clock)
    with pytest.raises(ValueError):
        TokenBucket(1, 0, clock=clock)
