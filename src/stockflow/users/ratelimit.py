"""Rate limits on the `limits` library: sliding-window counters in memory or in Redis.

In process the counters are window objects (users/localwindows.py) that decide exactly as
limits' memory storage does; in Redis they are the library's own. The sliding-window counter
is O(1) per hit on both (a moving window keeps one entry per
request, which at enterprise limits is a long list per user) and never lets more than the limit
through within one window.

When a shared store (Redis) cannot be reached, a hit raises a 503 `Problem` with Retry-After,
which the edge answers as problem+json: callers are told to come back, not handed a 500. Such
failures are counted (`stockflow_rate_limit_store_errors_total`) and logged once per outage.
"""

from __future__ import annotations

import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from prometheus_client import CollectorRegistry, Counter

from stockflow.core.logging import get_logger
from stockflow.core.problems import unavailable
from stockflow.users.localwindows import Decision, LocalWindows, decide

log = get_logger(__name__)

_KEY_CACHE = 100_000  # storage keys remembered per caller; cleared whole when full


def storage_url(url: str) -> str:
    """Our settings speak memory:// and redis://; limits' async storages want async+ schemes."""
    return url if url.startswith("async+") else "async+" + url


class RateLimiter:
    """`registry` is where the store-error counter is kept (a private one when None);
    `retry_after` is what callers are told while the store is unreachable, and `timeout` bounds
    each call to a shared store, so a store that hangs costs a request seconds, not minutes."""

    def __init__(self, url: str = "memory://", *, prefix: str = "stockflow:rl",
                 registry: CollectorRegistry | None = None, retry_after: int = 5,
                 timeout: float = 2.0) -> None:
        self.url = url
        self.storage: Storage
        # wrap_exceptions: every back end's failures arrive as one type, limits' StorageError.
        if url.startswith(("redis", "async+redis")):
            self.storage = storage_from_string(
                storage_url(url), implementation="redispy", key_prefix=prefix,
                wrap_exceptions=True, socket_timeout=timeout, socket_connect_timeout=timeout)
        else:
            self.storage = storage_from_string(storage_url(url), wrap_exceptions=True)
        self.retry_after = retry_after
        self.store_errors = Counter(
            "stockflow_rate_limit_store_errors",
            "Requests answered 503 because the rate-limit store could not be reached",
            registry=registry if registry is not None else CollectorRegistry())
        self._store_down = False
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        # In-process: window objects, one dictionary lookup per hit (users/localwindows.py).
        self.local = LocalWindows() if url.startswith(("memory", "async+memory")) else None
        self._items: dict[str, RateLimitItem] = {}
        self._keys: dict[tuple[str, tuple[str, ...]], str] = {}

    def item(self, limit: str) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = parse(limit)
        return item

    def hit_in_process(self, limit: str, *key: str) -> Decision | None:
        """`hit` without a coroutine when the counters are in process (None when they are
        shared): the edge makes one hit per request."""
        local = self.local
        if local is None:
            return None
        window = local.get(limit, key)
        if window is None:
            item = self.item(limit)
            window = local.window(limit, key, item.amount, item.get_expiry())
        return window.hit(time.time())

    async def hit(self, limit: str, *key: str) -> Decision:
        if self.local is not None:
            return self.hit_in_process(limit, *key)  # type: ignore[return-value]
        # The storage calls the strategy would make, with the key built once: the strategy
        # layer rebuilt the key for its hit and its stats.
        item = self.item(limit)
        expiry = item.get_expiry()
        storage_key = self._keys.get((limit, key))
        if storage_key is None:
            if len(self._keys) >= _KEY_CACHE:
                self._keys.clear()
            storage_key = self._keys[limit, key] = item.key_for(*key)
        allowed, window = await self._shared_hit(storage_key, item.amount, expiry)
        return decide(allowed, item.amount, expiry, *window)

    async def _shared_hit(self, storage_key: str, amount: int,
                          expiry: int) -> tuple[bool, tuple[int, float, int, float]]:
        storage: Any = self.storage
        try:
            allowed = await storage.acquire_sliding_window_entry(storage_key, amount, expiry, 1)
            window = await storage.get_sliding_window(storage_key, expiry)
        except (StorageError, OSError) as exc:
            self.store_errors.inc()
            if not self._store_down:  # once per outage: every request fails the same way
                self._store_down = True
                log.error("rate-limit store unreachable",
                          error=repr(getattr(exc, "storage_error", exc)))
            raise unavailable("rate limits cannot be checked right now; try again shortly",
                              self.retry_after) from None
        if self._store_down:
            self._store_down = False
            log.warning("rate-limit store reachable again")
        return allowed, window

    async def clear(self, limit: str, *key: str) -> None:
        if self.local is not None:
            self.local.clear(limit, key)
        else:
            await self.strategy.clear(self.item(limit), *key)

    async def close(self) -> None:
        # Redis storages hold a pool; memory holds nothing worth closing.
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
