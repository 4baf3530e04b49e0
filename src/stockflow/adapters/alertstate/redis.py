"""AlertStateStore on a shared Cache (Redis): evaluation state seen by every alerts evaluator.

Keys: `alert:state:{alert_id}` (a JSON object, see RuleState.to_dict) and `alert:prev:{stream}`
(the stream's last value as text), after the cache's own prefix, which is empty by default here
so the keys are the seed's. No TTL: a rule's state lives as long as the rule; `forget` on delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis

from stockflow.adapters.cache.redis import RedisCache
from stockflow.alerts.domain import RuleState
from stockflow.core.ports import Cache


class CacheAlertStateStore:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def load(self, alert_ids: Sequence[str]) -> dict[str, RuleState]:
        raw = await self.cache.get_many([f"alert:state:{i}" for i in alert_ids])
        return {i: RuleState.from_dict(orjson.loads(v))
                for i, v in zip(alert_ids, raw, strict=True) if v is not None}

    async def save(self, states: Mapping[str, RuleState]) -> None:
        await self.cache.set_many({f"alert:state:{i}": orjson.dumps(s.to_dict())
                                   for i, s in states.items()})

    async def forget(self, alert_ids: Sequence[str]) -> None:
        for i in alert_ids:
            await self.cache.delete(f"alert:state:{i}")

    async def previous(self, streams: Sequence[str]) -> dict[str, float]:
        raw = await self.cache.get_many([f"alert:prev:{s}" for s in streams])
        return {s: float(v) for s, v in zip(streams, raw, strict=True) if v is not None}

    async def remember(self, values: Mapping[str, float]) -> None:
        # repr keeps every bit of the float, so a crossing at the exact level stays exact.
        await self.cache.set_many({f"alert:prev:{s}": repr(float(v)).encode()
                                   for s, v in values.items()})

    async def close(self) -> None:
        await self.cache.close()


class RedisAlertStateStore(CacheAlertStateStore):
    """The state port on Redis; `prefix` goes before every key (tests, shared servers)."""

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = "") -> None:
        self.redis = RedisCache(url, prefix=prefix)
        super().__init__(self.redis)

    @property
    def client(self) -> aioredis.Redis:
        return self.redis.client


def make_store(url: str, *, prefix: str = "", **_: Any) -> RedisAlertStateStore:
    """The registry's factory for `redis://` and `rediss://` state URLs."""
    return RedisAlertStateStore(url, prefix=prefix)
