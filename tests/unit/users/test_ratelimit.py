"""The in-process rate-limit storage decides exactly as limits' stock memory storage does."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from stockflow.users.localwindows import LocalWindows
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
    assert len(ours.local) == 1  # one window object for the one caller


async def test_callers_have_separate_budgets():
    limiter = RateLimiter("memory://")
    assert [(await limiter.hit("2/minute", "a")).allowed for _ in range(3)] == [True, True,
                                                                               False]
    assert (await limiter.hit("2/minute", "b")).allowed
    refused = await limiter.hit("2/minute", "a")
    assert refused.reset_after >= 1 and refused.remaining == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 25.0), st.sampled_from("abc"),
                          st.sampled_from(["3/10second", "5/minute"])), max_size=60))
def test_windows_decide_as_the_stock_storage_for_any_sequence(steps):
    import asyncio

    async def run() -> None:
        now = [1_800_000_000.0]
        real = time.time
        time.time = lambda: now[0]
        try:
            ours = RateLimiter("memory://")
            stock = SlidingWindowCounterRateLimiter(MemoryStorage())
            for step, caller, limit in steps:
                now[0] += step
                decision = await ours.hit(limit, caller)
                allowed = await stock.hit(parse(limit), caller)
                stats = await stock.get_window_stats(parse(limit), caller)
                assert (decision.allowed, decision.remaining) == (allowed, stats.remaining)
        finally:
            time.time = real

    asyncio.run(run())


def test_idle_callers_windows_are_swept():
    windows = LocalWindows()
    windows.window("5/second", ("old",), 5, 1).hit(1000.2)
    windows.window("5/second", ("recent",), 5, 1).hit(1001.5)
    windows._sweep(now=1002.1)  # "old" last counted two windows ago; "recent" one ago
    assert windows.get("5/second", ("old",)) is None
    assert windows.get("5/second", ("recent",)) is not None
