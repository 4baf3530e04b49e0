"""Comparison of up to 50 companies: chosen ratios, growth, returns and volatility, with sector
medians (over every equity of the sector) and percentile ranks in the sector and the request."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from statistics import median

import numpy as np
import orjson

from stockflow.analysis.domain import PeriodType, Version
from stockflow.analysis.errors import NoTickerServed
from stockflow.analysis.generations import Generations, digest
from stockflow.analysis.growth import changes
from stockflow.analysis.ratios.compute import BY_NAME, compute
from stockflow.analysis.service import AnalysisService
from stockflow.core.ports import Cache
from stockflow.core.problems import Problem, invalid
from stockflow.market.domain import AssetClass, Interval

MARKET_METRICS = ("return_1y", "volatility_1y")
GROWTH_PREFIX = "growth."
DEFAULT_METRICS = ("price_to_earnings", "return_on_equity", "net_margin", "growth.revenue",
                   "return_1y", "volatility_1y")


@dataclass(frozen=True, slots=True)
class CompanyMetrics:
    ticker: str
    sector: str
    values: dict[str, float | None]
    sector_rank: dict[str, float | None] = field(default_factory=dict)
    request_rank: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Comparison:
    metrics: list[str]
    companies: list[CompanyMetrics]
    sector_medians: dict[str, dict[str, float | None]]
    errors: dict[str, dict]


def percentile_rank(value: float | None, population: Sequence[float | None]) -> float | None:
    """Share of the population below `value` (ties count half), 0..100."""
    values = [v for v in population if v is not None]
    if value is None or not values:
        return None
    below = sum(v < value for v in values) + 0.5 * sum(v == value for v in values)
    return 100 * below / len(values)


def check_metrics(metrics: Sequence[str]) -> list[str]:
    known = set(BY_NAME) | set(MARKET_METRICS)
    growth = {GROWTH_PREFIX + m for m in ("revenue", "net_income", "eps_diluted",
                                          "free_cash_flow", "operating_income")}
    unknown = [m for m in metrics if m not in known | growth]
    if unknown:
        raise invalid(f"unknown metrics: {', '.join(unknown)}",
                      [{"loc": ["body", "metrics"], "msg": f"unknown metric {m!r}"}
                       for m in unknown])
    return list(dict.fromkeys(metrics))


class CompareService:
    """With a `cache`, each company's metrics are kept `ttl` seconds (the seed's hour) under a
    per-ticker generation that `invalidate` bumps when its statements change."""

    def __init__(self, analysis: AnalysisService, max_tickers: int = 50,
                 cache: Cache | None = None, ttl: float = 3600.0) -> None:
        self.analysis, self.max_tickers = analysis, max_tickers
        self.cache, self.ttl = cache, ttl
        self.generations = Generations(cache, analysis.clock) if cache is not None else None

    async def invalidate(self, ticker: str) -> None:
        if self.generations is not None:
            await self.generations.bump(ticker)

    async def cached_metrics(self, tickers: Sequence[str], names: Sequence[str]
                             ) -> dict[str, dict[str, float | None]]:
        if self.cache is None or self.generations is None:
            return {t: await self.metrics(t, names) for t in tickers}
        names_key = digest(*names)
        keys = [f"analysis:metrics:{t}:{g}:{names_key}"
                for t, g in zip(tickers, await self.generations.of(tickers), strict=True)]
        out: dict[str, dict[str, float | None]] = {}
        fresh: dict[str, bytes] = {}
        for t, key, raw in zip(tickers, keys, await self.cache.get_many(keys), strict=True):
            if raw is not None:
                out[t] = orjson.loads(raw)
                continue
            out[t] = await self.metrics(t, names)
            # Not kept before a daily close is stored: the price-based figures would stay
            # missing for the hour (the first start loads statements and bars side by side).
            if await self.analysis.price(t) is not None:
                fresh[key] = orjson.dumps(out[t])
        if fresh:
            await self.cache.set_many(fresh, ttl=self.ttl)
        return out

    async def _market(self, ticker: str) -> dict[str, float | None]:
        now = self.analysis.clock.now()
        bars = await self.analysis.market.bars(ticker, Interval.D1, now - timedelta(days=372),
                                               now, 400)
        closes = np.array([b.close for b in bars], dtype=np.float64)
        if len(closes) < 21:
            return dict.fromkeys(MARKET_METRICS)
        daily = np.diff(np.log(closes))
        return {"return_1y": float(closes[-1] / closes[0] - 1),
                "volatility_1y": float(np.std(daily, ddof=1) * math.sqrt(252))}

    async def metrics(self, ticker: str, metrics: Sequence[str]) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        ratio_names = [m for m in metrics if m in BY_NAME]
        if ratio_names or any(m.startswith(GROWTH_PREFIX) for m in metrics):
            series = await self.analysis.periods(ticker, PeriodType.TTM, Version.RESTATED,
                                                 recent=5)
            if series:
                market = await self.analysis.price(ticker)
                for r in compute(series[-1], None, market, ratio_names):
                    out[r.name] = r.value
                growth = {c.metric: c.value for c in changes(series[-1], series)}
                for m in metrics:
                    if m.startswith(GROWTH_PREFIX):
                        out[m] = growth.get(m[len(GROWTH_PREFIX):])
        if any(m in MARKET_METRICS for m in metrics):
            out |= await self._market(ticker)
        return {m: out.get(m) for m in metrics}

    async def compare(self, tickers: Sequence[str], metrics: Sequence[str] = DEFAULT_METRICS
                      ) -> Comparison:
        wanted = list(dict.fromkeys(t.strip().upper() for t in tickers if t.strip()))
        if not 1 <= len(wanted) <= self.max_tickers:
            raise invalid(f"compare 1 to {self.max_tickers} tickers, not {len(wanted)}")
        names = check_metrics(metrics)
        universe = {i.ticker: i for i in self.analysis.market.universe
                    if i.asset_class is AssetClass.EQUITY}
        found, errors = {}, {}
        for t in wanted:
            try:
                found[t] = (await self.analysis.instrument(t)).sector
            except Problem as p:
                errors[t] = p.to_dict()
        if not found:
            raise NoTickerServed(errors)
        sectors = set(found.values())
        population = await self.cached_metrics(
            sorted({*found, *(t for t, i in universe.items() if i.sector in sectors)}), names)
        rows = [CompanyMetrics(t, sector, population[t]) for t, sector in found.items()]
        medians = {}
        for sector in sorted(sectors):
            members = [population[t] for t, i in universe.items() if i.sector == sector
                       and t in population]
            medians[sector] = {m: _median([v[m] for v in members]) for m in names}
        ranked = [CompanyMetrics(
            r.ticker, r.sector, r.values,
            {m: percentile_rank(r.values[m], [population[t][m] for t, i in universe.items()
                                              if i.sector == r.sector and t in population])
             for m in names},
            {m: percentile_rank(r.values[m], [x.values[m] for x in rows]) for m in names})
            for r in rows]
        return Comparison(names, ranked, medians, errors)


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None
