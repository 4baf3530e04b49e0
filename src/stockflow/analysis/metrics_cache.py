"""Computed metrics in the Cache port for the seed's hour, under a per-ticker generation:
`financials.updated` bumps a ticker's generation, so every answer computed from its old
statements is unreachable at once, whatever its parameters, without listing keys."""

from __future__ import annotations

import orjson

from stockflow.analysis.domain import PeriodType, Version
from stockflow.analysis.generations import Generations, digest
from stockflow.analysis.schemas import ratios_out
from stockflow.analysis.service import AnalysisService
from stockflow.core.ports import Cache


class CachedRatios:
    """The ratios answer as wire JSON, cached per ticker generation and query."""

    DEFAULT = (PeriodType.TTM, Version.RESTATED, None, 1)

    def __init__(self, analysis: AnalysisService, cache: Cache, ttl: float) -> None:
        self.analysis, self.cache, self.ttl = analysis, cache, ttl
        self.generations = Generations(cache, analysis.clock)

    async def _key(self, ticker: str, query: tuple) -> str:
        (gen,) = await self.generations.of([ticker])
        return f"analysis:ratios:{ticker}:{gen}:{digest(*query)}"

    async def _compute(self, ticker: str, query: tuple) -> tuple[bytes, bool]:
        """The answer, and whether to keep it: one computed before any daily close was stored
        (the first start loads statements and bars side by side) lacks every valuation ratio,
        and the bars arriving would not retire it."""
        period, version, names, limit = query
        found = await self.analysis.ratios(ticker, period, version, names, limit)
        body = orjson.dumps(ratios_out(ticker, version, found).model_dump(mode="json"))
        return body, bool(found) and found[0].market is not None

    async def _keep(self, key: str, ticker: str, query: tuple) -> bytes:
        body, priced = await self._compute(ticker, query)
        if priced:
            await self.cache.set(key, body, ttl=self.ttl)
        return body

    async def json(self, ticker: str, period: PeriodType, version: Version,
                   names: list[str] | None, limit: int) -> bytes:
        """`ticker` as the instrument lists it (resolved by the caller)."""
        query = (period, version, tuple(names) if names else None, limit)
        key = await self._key(ticker, query)
        cached = await self.cache.get(key)
        return cached if cached is not None else await self._keep(key, ticker, query)

    async def refresh(self, ticker: str) -> None:
        """New statements: forget every cached answer and compute the default one again."""
        await self.generations.bump(ticker)
        await self._keep(await self._key(ticker, self.DEFAULT), ticker, self.DEFAULT)
