"""A per-ticker generation in the Cache port: cached answers about a ticker carry it in their
key, so bumping it (on `financials.updated`) retires them all at once, without listing keys."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from stockflow.core.ports import Cache, Clock


def digest(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


class Generations:
    def __init__(self, cache: Cache, clock: Clock) -> None:
        self.cache, self.clock = cache, clock

    async def bump(self, ticker: str) -> None:
        await self.cache.set(f"analysis:gen:{ticker}", str(self.clock.now().timestamp()).encode())

    async def of(self, tickers: Sequence[str]) -> list[str]:
        found = await self.cache.get_many([f"analysis:gen:{t}" for t in tickers])
        return [(g or b"0").decode() for g in found]
