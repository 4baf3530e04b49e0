"""In-process sliding-window counters: one small object per caller and limit.

limits' memory storage keeps two counters per caller under string keys derived from the window
number, and the strategy reads both and their expiry times on every hit. On the edge, where
every request makes one hit, that was the largest part of authenticating a request. A window
object holding (window number, previous count, current count) decides exactly as the stock
storage and strategy do (tests/unit/users/test_ratelimit.py compares them step by step) with
one dictionary lookup and no keys.

Why the stock expiry needs no equivalent: the stock storage expires a window's counter two
windows after its first hit, so while that window is the "previous" one its count is always
still there, and once it is older it is never read. A window object forgets the older count
when it rolls over instead. Objects of callers idle for two windows are swept in bulk.
"""

from __future__ import annotations

import time
from math import ceil, floor, inf
from typing import NamedTuple

_SWEEP_EVERY = 10_000  # hits between sweeps of idle callers' windows


class Decision(NamedTuple):
    """Made on every request: a named tuple is built in a third of a frozen dataclass's time."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int        # seconds until the window frees a request
    window: int             # the policy's window in seconds

    def headers(self) -> list[tuple[bytes, bytes]]:
        """RateLimit and RateLimit-Policy (IETF httpapi-ratelimit-headers, structured fields)."""
        policy = _POLICIES.get((self.limit, self.window))
        if policy is None:  # a handful of policies: each header pair made once
            policy = _POLICIES[self.limit, self.window] = (
                b"ratelimit-policy", b"%d;w=%d" % (self.limit, self.window))
        return [policy, (b"ratelimit", b"limit=%d, remaining=%d, reset=%d"
                         % (self.limit, self.remaining, self.reset_after))]


_POLICIES: dict[tuple[int, int], tuple[bytes, bytes]] = {}


def decide(allowed: bool, amount: int, expiry: int, previous: int, previous_ttl: float,
           current: int, current_ttl: float) -> Decision:
    """The strategy's own arithmetic (limits' SlidingWindowCounterRateLimiter
    .get_window_stats), from the window as it stands after the hit."""
    remaining = max(0, amount - floor(previous * previous_ttl / expiry + current))
    reset_in = min(previous_ttl % (expiry / previous) if previous else inf,
                   current_ttl % expiry if current else inf)
    reset = 0 if reset_in == inf else ceil(reset_in)
    if not allowed:
        reset = max(1, reset)  # Retry-After 0 would invite an immediate, refused retry
    return Decision(allowed, amount, remaining, reset, expiry)


class _Window:
    __slots__ = ("amount", "current", "expiry", "index", "previous")

    def __init__(self, amount: int, expiry: int) -> None:
        self.amount = amount
        self.expiry = expiry
        self.index = -2  # no window yet: the first hit sees no previous count
        self.previous = 0
        self.current = 0

    def hit(self, now: float) -> Decision:
        expiry = self.expiry
        index = int(now / expiry)  # limits' window number, the same float division
        if index != self.index:
            self.previous = self.current if index == self.index + 1 else 0
            self.current = 0
            self.index = index
        previous, current, amount = self.previous, self.current, self.amount
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        allowed = amount >= 1 and floor(previous * previous_ttl / expiry + current) < amount
        if allowed:
            current = self.current = current + 1
        return decide(allowed, amount, expiry, previous, previous_ttl, current, current_ttl)


class LocalWindows:
    """The windows of every (limit, caller) seen, made on first sight."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, tuple[str, ...]], _Window] = {}
        self._until_sweep = _SWEEP_EVERY

    def window(self, limit: str, key: tuple[str, ...], amount: int, expiry: int) -> _Window:
        window = self._windows[limit, key] = _Window(amount, expiry)
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep()
        return window

    def get(self, limit: str, key: tuple[str, ...]) -> _Window | None:
        return self._windows.get((limit, key))

    def clear(self, limit: str, key: tuple[str, ...]) -> None:
        self._windows.pop((limit, key), None)

    def __len__(self) -> int:
        return len(self._windows)

    def _sweep(self, now: float | None = None) -> None:
        """Drop the windows of callers idle for two windows or more: a fresh window object
        decides the same for them."""
        at = time.time() if now is None else now
        self._until_sweep = _SWEEP_EVERY
        for key in [k for k, w in self._windows.items() if int(at / w.expiry) > w.index + 1]:
            del self._windows[key]
