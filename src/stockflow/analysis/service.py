"""Use cases of the analysis context: sync statements, read them, ratios and growth.

Offline first: a company with nothing stored is fetched from the configured source (the
simulation by default) on first use. Valuation, indicators and comparison build on this
service in their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from stockflow.analysis.anomalies import Anomaly, detect
from stockflow.analysis.domain import PeriodType, Statement, Version, select_version
from stockflow.analysis.errors import NoFundamentals
from stockflow.analysis.growth import Change, changes, compound
from stockflow.analysis.periods import PeriodData, by_period, ttm_series, year_before
from stockflow.analysis.ports import (
    FundamentalsSource,
    ProfileSource,
    StatementKey,
    StatementStore,
)
from stockflow.analysis.ratios.compute import Ratio, compute
from stockflow.analysis.ratios.inputs import MarketData
from stockflow.core.ports import Clock
from stockflow.core.problems import invalid, unavailable
from stockflow.core.resilience.errors import ProviderError
from stockflow.market.domain import AssetClass, Instrument, Interval
from stockflow.market.ports import MarketReader


@dataclass(frozen=True, slots=True)
class SyncResult:
    ticker: str
    changed: list[StatementKey]
    anomalies: list[Anomaly]


@dataclass(frozen=True, slots=True)
class PeriodRatios:
    period: PeriodData
    ratios: list[Ratio]
    market: MarketData | None


@dataclass(frozen=True, slots=True)
class GrowthReport:
    ticker: str
    version: Version
    year_on_year: dict[str, list[Change]] = field(default_factory=dict)  # by period type
    quarter_on_quarter: list[Change] = field(default_factory=list)
    cagr_3y: list[Change] = field(default_factory=list)
    cagr_5y: list[Change] = field(default_factory=list)


class AnalysisService:
    def __init__(self, store: StatementStore, source: FundamentalsSource, market: MarketReader,
                 clock: Clock) -> None:
        self.store, self.source, self.market, self.clock = store, source, market, clock

    async def instrument(self, ticker: str) -> Instrument:
        """The instrument, if it can have statements: 404 unknown, 404 with a reason otherwise."""
        inst = self.market.instrument(ticker)  # 404 for an unknown ticker
        if inst.asset_class is not AssetClass.EQUITY:
            raise NoFundamentals(inst.ticker, f"{inst.asset_class.value} instruments file no "
                                 "financial statements; only equities have fundamentals")
        return inst

    async def sync(self, ticker: str) -> SyncResult:
        """Fetch from the source, store, and say what changed and what looks wrong."""
        inst = await self.instrument(ticker)
        if isinstance(self.source, ProfileSource):
            await self.store.save_company(await self.source.profile(inst.ticker))
        fetched = await self.source.statements(inst.ticker)
        changed = await self.store.save_statements(fetched)
        touched = {(k[1], k[2]) for k in changed}
        anomalies = detect([s for s in fetched if (s.end, s.statement) in touched])
        return SyncResult(inst.ticker, changed, anomalies)

    async def all_statements(self, ticker: str, version: Version) -> list[Statement]:
        inst = await self.instrument(ticker)
        stored = await self.store.statements(inst.ticker)
        if not stored:
            try:
                await self.sync(inst.ticker)
            except ProviderError as e:
                # Every source failed: a retryable outage, said as one (never a 500).
                raise unavailable(f"no fundamentals source answered for {inst.ticker}: "
                                  f"{e.message}", retry_after=60) from e
            stored = await self.store.statements(inst.ticker)
        return select_version(stored, version)

    async def periods(self, ticker: str, period: PeriodType, version: Version,
                      recent: int | None = None) -> list[PeriodData]:
        """Oldest first; `recent` keeps the last few (TTM sums cost, old ones are rarely read)."""
        statements = await self.all_statements(ticker, version)
        if period is PeriodType.TTM:
            return ttm_series(by_period(statements, PeriodType.QUARTER), recent)
        found = by_period(statements, period)
        return found if recent is None else found[-recent:]

    async def statements(self, ticker: str, period: PeriodType = PeriodType.ANNUAL,
                         version: Version = Version.RESTATED, limit: int = 8,
                         before: date | None = None) -> list[PeriodData]:
        """Newest first, at most `limit` periods ending before `before` (the cursor)."""
        if not 1 <= limit <= 100:
            raise invalid("limit must be 1 to 100")
        found = [p for p in await self.periods(ticker, period, version)
                 if before is None or p.end < before]
        return list(reversed(found))[:limit]

    async def price(self, ticker: str) -> MarketData | None:
        """The latest stored daily close; None when no bar is stored (valuation ratios None)."""
        now = self.clock.now()
        bars = await self.market.bars(ticker, Interval.D1, now - timedelta(days=14), now, 50)
        if not bars:
            return None
        last = bars[-1]
        return MarketData(last.close, last.time.date(), f"{last.provider} daily close")

    async def ratios(self, ticker: str, period: PeriodType = PeriodType.TTM,
                     version: Version = Version.RESTATED, names: list[str] | None = None,
                     limit: int = 1) -> list[PeriodRatios]:
        """Ratios of the newest `limit` periods; valuation ones at today's price."""
        # Four more periods than asked: each one's year-before for averages and Piotroski.
        series = await self.periods(ticker, period, version, recent=limit + 4)
        market = await self.price(ticker)
        out = []
        for current in list(reversed(series))[:limit]:
            # The price is today's: older periods get no valuation ratios rather than wrong ones.
            price = market if current is series[-1] else None
            out.append(PeriodRatios(current, compute(current, year_before(current, series),
                                                     price, names), price))
        return out

    async def growth(self, ticker: str, version: Version = Version.RESTATED) -> GrowthReport:
        annual = await self.periods(ticker, PeriodType.ANNUAL, version)
        quarters = await self.periods(ticker, PeriodType.QUARTER, version)
        report = GrowthReport(ticker.upper(), version)
        if annual:
            report.year_on_year["annual"] = changes(annual[-1], annual)
        if quarters:
            report.year_on_year["quarter"] = changes(quarters[-1], quarters)
            report.quarter_on_quarter.extend(changes(quarters[-1], quarters,
                                                     quarter_on_quarter=True))
        report.cagr_3y.extend(compound(annual, 3))
        report.cagr_5y.extend(compound(annual, 5))
        return report
