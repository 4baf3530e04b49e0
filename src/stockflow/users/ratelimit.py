"""Rate limits on the `limits` library: sliding-window counters in memory or in Redis.

The sliding-window counter is O(1) per hit on both storages (a moving window keeps one entry per
request, which at enterprise limits is a long list per user) and never lets more than the limit
through within one window.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int        # seconds until the window frees a request
    window: int             # the policy's window in seconds

    def headers(self) -> list[tuple[bytes, bytes]]:
        """RateLimit and RateLimit-Policy (IETF httpapi-ratelimit-headers, structured fields)."""
        return [(b"ratelimit-policy", b"%d;w=%d" % (self.limit, self.window)),
                (b"ratelimit", b"limit=%d, remaining=%d, reset=%d"
                 % (self.limit, self.remaining, self.reset_after))]


def storage_url(url: str) -> str:
    """Our settings speak memory:// and redis://; limits' async storages want async+ schemes."""
    return url if url.startswith("async+") else "async+" + url


class RateLimiter:
    def __init__(self, url: str = "memory://", *, prefix: str = "stockflow:rl") -> None:
        self.url = url
        options: dict[str, str] = {}
        if url.startswith(("redis", "async+redis")):
            options = {"implementation": "redispy", "key_prefix": prefix}
        self.storage: Storage = storage_from_string(storage_url(url), **options)
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self._items: dict[str, RateLimitItem] = {}

    def item(self, limit: str) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = parse(limit)
        return item

    async def hit(self, limit: str, *key: str) -> Decision:
        item = self.item(limit)
        allowed = await self.strategy.hit(item, *key)
        stats = await self.strategy.get_window_stats(item, *key)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        if not allowed:
            reset = max(1, reset)  # Retry-After 0 would invite an immediate, refused retry
        return Decision(allowed, item.amount, stats.remaining, reset, item.get_expiry())

    async def clear(self, limit: str, *key: str) -> None:
        await self.strategy.clear(self.item(limit), *key)

    async def close(self) -> None:
        # Redis storages hold a pool; memory holds nothing worth closing.
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
