"""Full-jitter exponential backoff with an injected rng and the fake clock's sleep."""

from __future__ import annotations

import asyncio

import pytest

from stockflow.core.resilience import RetryPolicy, full_jitter, retry
from stockflow.testing.fakes import FakeClock


def test_full_jitter_bounds():
    assert full_jitter(0, base=0.5, cap=10, rng=lambda: 1.0) == 0.5
    assert full_jitter(3, base=0.5, cap=10, rng=lambda: 1.0) == 4.0
    assert full_jitter(10, base=0.5, cap=10, rng=lambda: 1.0) == 10.0  # capped
    assert full_jitter(5, base=0.5, cap=10, rng=lambda: 0.0) == 0.0
    assert full_jitter(2, base=1, cap=10, rng=lambda: 0.25) == 1.0


async def test_retries_then_succeeds_sleeping_on_the_clock():
    clock = FakeClock()
    attempts, pauses = 0, []

    async def flaky():
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionError("boom")
        return "ok"

    policy = RetryPolicy(attempts=3, base=1.0, cap=8.0, rng=lambda: 0.5)
    task = asyncio.create_task(retry(flaky, policy, clock=clock,
                                     on_retry=lambda n, e, d: pauses.append(d)))
    await asyncio.sleep(0)
    assert attempts == 1 and not task.done()
    clock.advance(0.5)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert attempts == 2
    clock.advance(1.0)
    assert await task == "ok"
    assert pauses == [0.5, 1.0]


async def test_gives_up_after_attempts_and_reraises():
    clock = FakeClock()
    calls = 0

    async def down():
        nonlocal calls
        calls += 1
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        await retry(down, RetryPolicy(attempts=3, rng=lambda: 0.0), clock=clock)
    assert calls == 3


async def test_does_not_retry_other_errors():
    calls = 0

    async def bad():
        nonlocal calls
        calls += 1
        raise ValueError("not retryable")

    with pytest.raises(ValueError):
        await retry(bad, RetryPolicy(retry_on=(ConnectionError,)), clock=FakeClock())
    assert calls == 1
