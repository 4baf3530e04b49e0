"""The in-process rate-limit storage decides exactly as limits' stock memory storage does."""

from __future__ import annotations

import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from stockflow.users.ratelimit import RateLimiter


async def test_fast_memory_storage_matches_the_stock_one(monkeypatch):
    now = [1_800_000_000.25]
    monkeypatch.setattr(time, "time", lambda: now[0])
    ours = RateLimiter("memory://")
    stock = SlidingWindowCounterRateLimiter(MemoryStorage())
    item = parse("5/10second")
    # Bursts, pauses within and across windows, and a long idle spell.
    steps = [0.1] * 8 + [3.0] * 4 + [0.5] * 10 + [9.0, 0.2, 0.2, 25.0] + [0.3] * 8
    for step in steps:
        now[0] += step
        decision = await ours.hit("5/10second", "caller")
        allowed = await stock.hit(item, "caller")
        stats = await stock.get_window_stats(item, "caller")
        assert decision.allowed == allowed, now[0]
        assert decision.remaining == stats.remaining, now[0]
    assert ours.storage.storage  # counters live in the library's own structures


async def test_callers_have_separate_budgets():
    limiter = RateLimiter("memory://")
    assert [(await limiter.hit("2/minute", "a")).allowed for _ in range(3)] == [True, True,
                                                                               False]
    assert (await limiter.hit("2/minute", "b")).allowed
    refused = await limiter.hit("2/minute", "a")
    assert refused.reset_after >= 1 and refused.remaining == 0
