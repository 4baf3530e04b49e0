"""In-process cache with TTL and an LRU bound, so memory stays flat under any key churn."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence


class MemoryCache:
    def __init__(self, *, max_entries: int = 100_000,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._now = monotonic

    async def get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires and expires <= self._now():
            del self._data[key]
            return None
        return value

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        # One clock read and one inline loop: a 50-key batch is on the quote API's hot path,
        # where a call (let alone a coroutine) per key cost more than the lookups themselves.
        now, data = self._now(), self._data
        values: list[bytes | None] = []
        for key in keys:
            item = data.get(key)
            if item is not None and item[0] and item[0] <= now:
                del data[key]
                item = None
            values.append(None if item is None else item[1])
        return values

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        self._data[key] = (self._now() + ttl if ttl else 0.0, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    async def set_many(self, items: dict[str, bytes], ttl: float | None = None) -> None:
        for k, v in items.items():
            await self.set(k, v, ttl)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def close(self) -> None:
        self._data.clear()


def make_cache(url: str, *, max_entries: int = 100_000,
               monotonic: Callable[[], float] = time.monotonic) -> MemoryCache:
    return MemoryCache(max_entries=max_entries, monotonic=monotonic)
