"""Redis cache: the Cache port on GET/MGET/SET PX, for caches shared by several processes.

URL: `redis://host:6379/0?prefix=stockflow:cache:` (`rediss://` for TLS); `prefix` (default
"stockflow:cache:") is put before every key so the cache can share a Redis with the bus.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from stockflow.adapters.bus.delivery import url_options

_PIPELINE_CHUNK = 1000


def _ttl_ms(ttl: float | None) -> int | None:
    # Same rule as the memory cache: no TTL (None or 0) means no expiry.
    return max(1, round(ttl * 1000)) if ttl else None


class RedisCache:
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *,
                 prefix: str = "stockflow:cache:") -> None:
        self._url = url
        self.prefix = prefix
        self._client: aioredis.Redis | None = None

    @property
    def client(self) -> aioredis.Redis:
        # Built on first use (no I/O until then), so the composition root stays import-cheap.
        if self._client is None:
            self._client = aioredis.Redis.from_url(self._url)
        return self._client

    async def get(self, key: str) -> bytes | None:
        return await self.client.get(self.prefix + key)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        return await self.client.mget([self.prefix + k for k in keys])

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        await self.client.set(self.prefix + key, value, px=_ttl_ms(ttl))

    async def set_many(self, items: dict[str, bytes], ttl: float | None = None) -> None:
        if not items:
            return
        px = _ttl_ms(ttl)
        if px is None:
            await self.client.mset({self.prefix + k: v for k, v in items.items()})
            return
        pairs = list(items.items())
        for i in range(0, len(pairs), _PIPELINE_CHUNK):
            pipe = self.client.pipeline(transaction=False)
            for k, v in pairs[i:i + _PIPELINE_CHUNK]:
                pipe.set(self.prefix + k, v, px=px)
            await pipe.execute()

    async def delete(self, key: str) -> None:
        await self.client.delete(self.prefix + key)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def make_cache(url: str, **options: Any) -> RedisCache:
    """`options` may carry the memory cache's settings (max_entries, monotonic); Redis ignores
    them: its memory bound is the server's maxmemory policy and it keeps its own clock."""
    clean, opts = url_options(url, {"prefix": str}, {})
    if "prefix" in options:
        opts["prefix"] = options["prefix"]
    return RedisCache(clean, **opts)
