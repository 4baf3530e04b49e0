"""IdempotencyStore on Redis: URL `redis://host:6379/0?prefix=stockflow:idem:` (`rediss://`).

One key per (consumer, event id), `<prefix>{<consumer>}:<event id>`, holding `c:<owner>` while
claimed and `d:<owner>` once done. The claim is SET NX PX (the lease) with GET, so the answer
also says whether the holder finished; done and release are Lua scripts that check the owner
before they write, so an attempt whose lease ran out cannot undo its successor's claim. A done
key lives for the retention (PX) and Redis forgets it by itself, so `purge` has nothing to do.
The consumer is a hash tag: one consumer's keys share a slot, so a script may take many.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from stockflow.adapters.bus.delivery import url_options
from stockflow.core.idempotency import DEFAULT_RETENTION, Claim

_CLAIMED, _DONE = b"c:", b"d:"

# KEYS: the entries; ARGV: owner, retention in ms. Writes done where the key is free (gone:
# never claimed, expired, or its lease ran out), is ours, or is claimed by nobody alive.
# Returns a 1 or 0 per key, in order.
_DONE_SCRIPT = """
local recorded = {}
local mine_claim, mine_done = 'c:' .. ARGV[1], 'd:' .. ARGV[1]
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if not v or v == mine_claim or v == mine_done then
    redis.call('SET', key, mine_done, 'PX', ARGV[2])
    recorded[i] = 1
  else
    recorded[i] = 0
  end
end
return recorded
"""

# KEYS: the entries; ARGV: owner. Deletes only this owner's claims.
_RELEASE_SCRIPT = """
local mine = 'c:' .. ARGV[1]
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == mine then redis.call('DEL', key) end
end
return 0
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisIdempotencyStore:
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *,
                 prefix: str = "stockflow:idem:", retention: float = DEFAULT_RETENTION) -> None:
        self._url = url
        self.prefix = prefix
        self.retention = retention
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, Any] = {}

    @property
    def client(self) -> aioredis.Redis:
        # Built on first use, so building the store does no I/O.
        if self._client is None:
            self._client = aioredis.Redis.from_url(self._url)
            self._scripts = {"done": self._client.register_script(_DONE_SCRIPT),
                             "release": self._client.register_script(_RELEASE_SCRIPT)}
        return self._client

    def _script(self, name: str) -> Any:
        self.client  # noqa: B018 - makes the client, and with it the scripts, on first use
        return self._scripts[name]

    def _keys(self, consumer: str, event_ids: Sequence[str]) -> list[str]:
        return [f"{self.prefix}{{{consumer}}}:{i}" for i in event_ids]

    async def claim(self, consumer: str, event_ids: Sequence[str], owner: str,
                    lease: float) -> dict[str, Claim]:
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return {}
        value, px = _CLAIMED + owner.encode(), _ms(lease)
        pipe = self.client.pipeline(transaction=False)
        for key in self._keys(consumer, ids):
            pipe.set(key, value, nx=True, px=px, get=True)
        previous = await pipe.execute()
        return {i: (Claim.ACQUIRED if old is None else
                    Claim.DONE if old.startswith(_DONE) else Claim.BUSY)
                for i, old in zip(ids, previous, strict=True)}

    async def done(self, consumer: str, event_ids: Sequence[str], owner: str) -> set[str]:
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return set()
        flags = await self._script("done")(keys=self._keys(consumer, ids),
                                            args=[owner, _ms(self.retention)])
        return {i for i, flag in zip(ids, flags, strict=True) if flag}

    async def release(self, consumer: str, event_ids: Sequence[str], owner: str) -> None:
        ids = list(dict.fromkeys(event_ids))
        if ids:
            await self._script("release")(keys=self._keys(consumer, ids), args=[owner])

    async def purge(self) -> int:
        return 0  # every key carries its own PX; Redis expires them

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def make_store(url: str, *, retention: float = DEFAULT_RETENTION,
               **_shared: Any) -> RedisIdempotencyStore:
    """Registry factory for redis:// and rediss://; `_shared` takes the other adapters' options
    (database, clock: Redis keeps its own time)."""
    clean, opts = url_options(url, {"prefix": str}, {})
    return RedisIdempotencyStore(clean, retention=retention, **opts)
