"""AlertStateStore on Redis: evaluation state shared by every alerts evaluator.

Keys: `alert:state:{alert_id}` (a JSON object, see RuleState.to_dict) and `alert:prev:{stream}`
(the stream's last value as text), both after an optional `prefix` so a test or a second
deployment can share one Redis. No TTL: a rule's state lives as long as the rule; `forget` on
delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson
import redis.asyncio as aioredis

from stockflow.alerts.domain import RuleState


class RedisAlertStateStore:
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, prefix: str = "") -> None:
        self._url = url
        self.prefix = prefix
        self._client: aioredis.Redis | None = None

    @property
    def client(self) -> aioredis.Redis:
        # Built on first use, so constructing the adapter does no I/O.
        if self._client is None:
            self._client = aioredis.Redis.from_url(self._url)
        return self._client

    def _state_key(self, alert_id: str) -> str:
        return f"{self.prefix}alert:state:{alert_id}"

    def _prev_key(self, stream: str) -> str:
        return f"{self.prefix}alert:prev:{stream}"

    async def load(self, alert_ids: Sequence[str]) -> dict[str, RuleState]:
        if not alert_ids:
            return {}
        raw = await self.client.mget([self._state_key(i) for i in alert_ids])
        return {i: RuleState.from_dict(orjson.loads(v))
                for i, v in zip(alert_ids, raw, strict=True) if v is not None}

    async def save(self, states: Mapping[str, RuleState]) -> None:
        if states:
            await self.client.mset({self._state_key(i): orjson.dumps(s.to_dict())
                                    for i, s in states.items()})

    async def forget(self, alert_ids: Sequence[str]) -> None:
        if alert_ids:
            await self.client.delete(*(self._state_key(i) for i in alert_ids))

    async def previous(self, streams: Sequence[str]) -> dict[str, float]:
        if not streams:
            return {}
        raw = await self.client.mget([self._prev_key(s) for s in streams])
        return {s: float(v) for s, v in zip(streams, raw, strict=True) if v is not None}

    async def remember(self, values: Mapping[str, float]) -> None:
        if values:
            # repr keeps every bit of the float, so a crossing at the exact level stays exact.
            await self.client.mset({self._prev_key(s): repr(float(v)) for s, v in values.items()})

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
