"""What the analysis context lets later contexts read of its stored statements: key figures per
company (the search context's financial profiles) and quarterly results by filing date (the
simulated news quotes them). Both read the store only: nothing here fetches from a vendor, so a
reader never triggers a sync or its side effects."""

from __future__ import annotations

from datetime import date

from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import (
    KeyFigures,
    PeriodType,
    QuarterResult,
    Statement,
    Version,
    select_version,
)
from stockflow.analysis.periods import PeriodData, by_period, ttm_series, year_before
from stockflow.analysis.ratios.compute import compute
from stockflow.analysis.service import AnalysisService
from stockflow.core.problems import Problem

# KeyFigures field -> the ratio of the catalogue it is.
_RATIOS = {"gross_margin": "gross_margin", "operating_margin": "operating_margin",
           "net_margin": "net_margin", "pe_ratio": "price_to_earnings",
           "dividend_yield": "dividend_yield", "debt_to_equity": "debt_to_equity"}
_YEAR = range(350, 381)  # days between two ends a year apart (fiscal calendars drift a little)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class StoredFigures:
    """KeyFiguresReader and QuarterlyResults over the analysis context's statement store."""

    def __init__(self, analysis: AnalysisService) -> None:
        self.analysis = analysis

    async def tickers(self, after: str | None, limit: int) -> list[str]:
        stored = await self.analysis.store.tickers()
        return [t for t in stored if after is None or t > after][:limit]

    async def count(self) -> int:
        return len(await self.analysis.store.tickers())

    async def key_figures(self, ticker: str) -> KeyFigures | None:
        ticker = ticker.upper()
        try:
            inst = self.analysis.market.instrument(ticker)
        except Problem:  # no longer in the universe
            return None
        stored = await self.analysis.store.statements(ticker)
        if not stored:
            return None
        # One read of the statements for the ratios and the growth (this runs for every
        # `financials.updated`, beside the writes of a sync: it stays cheap).
        quarters = by_period(select_version(stored, Version.RESTATED), PeriodType.QUARTER)
        ttm = ttm_series(quarters, 5)
        values: dict[str, float | None] = {}
        if ttm:
            price = await self.analysis.price(ticker)
            values = {r.name: r.value for r in compute(
                ttm[-1], year_before(ttm[-1], ttm), price, list(_RATIOS.values()))}
        profile = await self.analysis.store.company(ticker)
        return KeyFigures(
            ticker=ticker, name=(profile.name if profile else None) or inst.name or ticker,
            sector=(profile.sector if profile else None) or inst.sector or None,
            industry=(profile.industry if profile else None) or inst.industry or None,
            market_cap=(profile.market_cap if profile else None) or inst.market_cap or None,
            revenue_growth=_growth(ttm), **{k: values.get(r) for k, r in _RATIOS.items()})

    async def reported_between(self, ticker: str, start: date, end: date) -> list[QuarterResult]:
        stored = await self.analysis.store.statements(
            ticker.upper(), statement=StatementType.INCOME, period=PeriodType.QUARTER)
        # The story quotes the quarter as first reported, against the year-before quarter as
        # the company states it now (restated if it was).
        first = select_version(stored, Version.REPORTED)
        latest = {(s.fiscal_year, s.fiscal_quarter): s
                  for s in select_version(stored, Version.RESTATED)}
        return [_result(s, latest.get((s.fiscal_year - 1, s.fiscal_quarter)))
                for s in sorted(first, key=lambda s: s.end)
                if s.filed is not None and start <= s.filed < end]


def _result(s: Statement, prior: Statement | None) -> QuarterResult:
    return QuarterResult(
        ticker=s.ticker, fiscal_year=s.fiscal_year, fiscal_quarter=s.fiscal_quarter or 0,
        end=s.end, reported=s.filed or s.end, currency=s.currency, revenue=_number(s.get("revenue")),
        eps=_number(s.get("eps_diluted")),
        prior_revenue=_number(prior.get("revenue")) if prior else None,
        prior_eps=_number(prior.get("eps_diluted")) if prior else None)


def _growth(ttm: list[PeriodData]) -> float | None:
    if len(ttm) < 5 or (ttm[-1].end - ttm[-5].end).days not in _YEAR:
        return None
    now, before = (_number(p.line(StatementType.INCOME, "revenue")) for p in (ttm[-1], ttm[-5]))
    return now / before - 1 if now is not None and before else None
