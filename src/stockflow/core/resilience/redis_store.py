"""BreakerStore on Redis, so every process of a deployment sees one breaker per provider.

Keys: `<prefix><name>` holds the record as JSON (with a TTL, so stale state ages out) and
`<prefix><name>:probe` is the half-open lease, taken with SET NX PX: one probe cluster-wide, and
a crashed prober's lease expires by itself. The lease holds its taker's token and is released by
a compare-and-delete script, so a prober whose lease expired cannot delete the lease another
process took after it. Read-modify-write of the record is not transactional:
two processes failing at once may count one failure between them, which only delays opening.
"""

from __future__ import annotations

import json
from typing import Any

from stockflow.core.resilience.store import BreakerRecord, new_token

# Delete the lease only if it still holds our token: GET then DEL, atomic inside Redis.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisBreakerStore:
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *,
                 prefix: str = "stockflow:breaker:", record_ttl: float = 86_400.0,
                 client: Any = None) -> None:
        self._url = url
        self.prefix = prefix
        self.record_ttl = record_ttl
        self._client = client
        self._release: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import redis.asyncio as aioredis  # lazy: only deployments with Redis need it

            self._client = aioredis.Redis.from_url(self._url)
        return self._client

    async def load(self, name: str) -> BreakerRecord:
        raw = await self.client.get(self.prefix + name)
        return BreakerRecord.from_dict(json.loads(raw)) if raw else BreakerRecord()

    async def save(self, name: str, record: BreakerRecord) -> None:
        await self.client.set(self.prefix + name, json.dumps(record.to_dict()),
                              px=max(1, round(self.record_ttl * 1000)))

    async def acquire_probe(self, name: str, ttl: float) -> str | None:
        token = new_token()
        ok = await self.client.set(self.prefix + name + ":probe", token, nx=True,
                                   px=max(1, round(ttl * 1000)))
        return token if ok else None

    async def release_probe(self, name: str, token: str) -> None:
        if self._release is None:
            self._release = self.client.register_script(_RELEASE)  # EVALSHA, loaded on demand
        await self._release(keys=[self.prefix + name + ":probe"], args=[token])

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
            self._release = None
