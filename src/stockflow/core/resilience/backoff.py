"""Retries with full-jitter exponential backoff (AWS architecture blog's "Full Jitter"):
sleep = uniform(0, min(cap, base * 2**attempt)). The rng and the sleep come from the caller, so
tests are deterministic and run on a fake clock. (tenacity is not a dependency of StockFlow.)"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from stockflow.core.ports import Clock

T = TypeVar("T")


def full_jitter(attempt: int, *, base: float, cap: float,
                rng: Callable[[], float] = random.random) -> float:
    """Delay before retry number `attempt` (0 for the first retry)."""
    return rng() * min(cap, base * (2 ** attempt))


@dataclass
class RetryPolicy:
    attempts: int = 3                       # calls in all, the first included
    base: float = 0.2
    cap: float = 5.0
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    rng: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int) -> float:
        return full_jitter(attempt, base=self.base, cap=self.cap, rng=self.rng)


async def retry(fn: Callable[[], Awaitable[T]], policy: RetryPolicy, *, clock: Clock,
                on_retry: Callable[[int, BaseException, float], None] | None = None) -> T:
    """Call `fn` until it succeeds or `policy.attempts` calls have failed; re-raise the last."""
    for attempt in range(policy.attempts):
        try:
            return await fn()
        except policy.retry_on as e:
            if attempt + 1 >= policy.attempts:
                raise
            pause = policy.delay(attempt)
            if on_retry is not None:
                on_retry(attempt + 1, e, pause)
            await clock.sleep(pause)
    raise AssertionError("unreachable")  # attempts >= 1 always returns or raises above
