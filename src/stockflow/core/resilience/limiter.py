"""Token bucket per provider: `capacity` calls in a burst, refilled at `rate` per second, plus a
block until a vendor's Retry-After has passed. Time comes from the injected clock."""

from __future__ import annotations

from typing import Any

from stockflow.core.ports import Clock


class TokenBucket:
    def __init__(self, capacity: float, rate: float, *, clock: Clock, name: str = "") -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("capacity must be >= 1 and rate > 0")
        self.name = name
        self.capacity = float(capacity)
        self.rate = float(rate)
        self.clock = clock
        self._tokens = float(capacity)
        self._stamp = clock.monotonic()
        self._blocked_until = 0.0

    def _refill(self) -> float:
        now = self.clock.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return now

    def wait_time(self, tokens: float = 1.0) -> float:
        """Seconds until `tokens` could be taken (0 when they can be now)."""
        now = self._refill()
        blocked = max(0.0, self._blocked_until - now)
        short = max(0.0, tokens - self._tokens) / self.rate
        return max(blocked, short)

    def try_acquire(self, tokens: float = 1.0) -> bool:
        if self.wait_time(tokens) > 0:
            return False
        self._tokens -= tokens
        return True

    async def acquire(self, tokens: float = 1.0) -> None:
        # Loop: a penalty may arrive, or another waiter may take the tokens, while we sleep.
        while True:
            wait = self.wait_time(tokens)
            if wait <= 0:
                self._tokens -= tokens
                return
            await self.clock.sleep(wait)

    def penalise(self, retry_after: float | None, *, default: float = 1.0) -> None:
        """Honour a vendor's Retry-After: nothing goes out before it has passed."""
        delay = default if retry_after is None else max(0.0, retry_after)
        self._blocked_until = max(self._blocked_until, self.clock.monotonic() + delay)

    @property
    def blocked_for(self) -> float:
        return max(0.0, self._blocked_until - self.clock.monotonic())

    def snapshot(self) -> dict[str, Any]:
        self._refill()
        return {"capacity": self.capacity, "rate": self.rate, "tokens": round(self._tokens, 3),
                "blocked_for": round(self.blocked_for, 3)}
