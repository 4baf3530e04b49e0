"""Rate limits on the `limits` library: sliding-window counters in memory or in Redis.

The sliding-window counter is O(1) per hit on both storages (a moving window keeps one entry per
request, which at enterprise limits is a long list per user) and never lets more than the limit
through within one window.

When a shared store (Redis) cannot be reached, a hit raises a 503 `Problem` with Retry-After,
which the edge answers as problem+json: callers are told to come back, not handed a 500. Such
failures are counted (`stockflow_rate_limit_store_errors_total`) and logged once per outage.
"""

from __future__ import annotations

import time
from math import ceil, floor, inf
from typing import Any, NamedTuple

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from prometheus_client import CollectorRegistry, Counter

from stockflow.core.logging import get_logger
from stockflow.core.problems import unavailable

log = get_logger(__name__)

_KEY_CACHE = 100_000  # storage keys remembered per caller; cleared whole when full


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


class _FastMemoryStorage(MemoryStorage):
    """limits' in-process storage, its sliding-window calls done without nested awaits.

    The stock calls go through five or six wrapped coroutines each, and every increment
    schedules an expiry task that scans every key: on the edge, where each request makes two of
    these calls, that was most of the cost of authenticating a request. Same arithmetic as the
    stock storage; with no await inside, each call is atomic on the event loop, so the stock
    revert-on-race step is unnecessary. Expired keys are dropped on read and swept in bulk once
    per `SWEEP_EVERY` increments.
    """

    SWEEP_EVERY = 10_000

    def __init__(self, uri: str | None = None, **options: str) -> None:
        super().__init__(uri, **options)
        self._until_sweep = self.SWEEP_EVERY
        self._window_keys: dict[str, tuple[int, int, str, str]] = {}

    def _count(self, key: str, now: float) -> int:
        if self.expirations.get(key, 0) <= now:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            return 0
        return self.storage.get(key, 0)

    def _keys(self, key: str, expiry: int, now: float) -> tuple[str, str]:
        # limits' sliding_window_keys, built once per window rather than twice a request:
        # (previous, current) change only when the window does.
        current = int(now / expiry)
        cached = self._window_keys.get(key)
        if cached is not None and cached[0] == current and int((now - expiry) / expiry) == cached[1]:
            return cached[2], cached[3]
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        if len(self._window_keys) >= _KEY_CACHE:
            self._window_keys.clear()
        self._window_keys[key] = (current, int((now - expiry) / expiry), previous_key,
                                  current_key)
        return previous_key, current_key

    def _window(self, key: str, expiry: int, now: float) -> tuple[int, float, int, float, str]:
        previous_key, current_key = self._keys(key, expiry, now)
        previous, current = self._count(previous_key, now), self._count(current_key, now)
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl, current_key

    async def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int,
                                           amount: int = 1) -> bool:
        return self.hit_window(key, limit, expiry, amount)[0]

    def hit_window(self, key: str, limit: int, expiry: int, amount: int = 1,
                   ) -> tuple[bool, tuple[int, float, int, float]]:
        """Acquire, and the window as it stands afterwards, in one synchronous step."""
        now = time.time()
        previous, previous_ttl, current, current_ttl, current_key = self._window(key, expiry,
                                                                                 now)
        if amount > limit or floor(previous * previous_ttl / expiry + current) + amount > limit:
            return False, (previous, previous_ttl, current, current_ttl)
        if current == 0:
            # Twice the window, as the stock storage does: it is the next window's "previous".
            self.expirations[current_key] = now + 2 * expiry
        self.storage[current_key] = current + amount
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep(now)
        return True, (previous, previous_ttl, current + amount, current_ttl)

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        previous, previous_ttl, current, current_ttl, _ = self._window(key, expiry, time.time())
        return previous, previous_ttl, current, current_ttl

    def _sweep(self, now: float) -> None:
        self._until_sweep = self.SWEEP_EVERY
        for key in [k for k, at in self.expirations.items() if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            self.locks.pop(key, None)


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
        elif url.startswith(("memory", "async+memory")):
            self.storage = _FastMemoryStorage()
        else:
            self.storage = storage_from_string(storage_url(url), wrap_exceptions=True)
        self.retry_after = retry_after
        self.store_errors = Counter(
            "stockflow_rate_limit_store_errors",
            "Requests answered 503 because the rate-limit store could not be reached",
            registry=registry if registry is not None else CollectorRegistry())
        self._store_down = False
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        # In-process: one synchronous call per hit (see _FastMemoryStorage).
        self.local = self.storage if isinstance(self.storage, _FastMemoryStorage) else None
        self._items: dict[str, RateLimitItem] = {}
        self._keys: dict[tuple[str, tuple[str, ...]], str] = {}

    def item(self, limit: str) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = parse(limit)
        return item

    async def hit(self, limit: str, *key: str) -> Decision:
        # The storage calls the strategy would make, with the key built once: this runs on
        # every request, and the strategy layer rebuilt the key for its hit and its stats.
        item = self.item(limit)
        expiry = item.get_expiry()
        storage_key = self._keys.get((limit, key))
        if storage_key is None:
            if len(self._keys) >= _KEY_CACHE:
                self._keys.clear()
            storage_key = self._keys[limit, key] = item.key_for(*key)
        if self.local is not None:
            allowed, window = self.local.hit_window(storage_key, item.amount, expiry)
        else:
            allowed, window = await self._shared_hit(storage_key, item.amount, expiry)
        previous, previous_ttl, current, current_ttl = window
        # The strategy's own arithmetic (SlidingWindowCounterRateLimiter.get_window_stats).
        remaining = max(0, item.amount - floor(previous * previous_ttl / expiry + current))
        reset_in = min(previous_ttl % (expiry / previous) if previous else inf,
                       current_ttl % expiry if current else inf)
        reset = 0 if reset_in == inf else ceil(reset_in)
        if not allowed:
            reset = max(1, reset)  # Retry-After 0 would invite an immediate, refused retry
        return Decision(allowed, item.amount, remaining, reset, expiry)

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
        await self.strategy.clear(self.item(limit), *key)

    async def close(self) -> None:
        # Redis storages hold a pool; memory holds nothing worth closing.
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
