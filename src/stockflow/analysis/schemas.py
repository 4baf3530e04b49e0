"""Wire models of the analysis routes, and their construction from domain results."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from stockflow.analysis.compare import Comparison
from stockflow.analysis.domain import FactSource, Version
from stockflow.analysis.periods import PeriodData
from stockflow.analysis.ratios.compute import Ratio
from stockflow.analysis.service import GrowthReport, PeriodRatios
from stockflow.analysis.technical_service import IndicatorSeries
from stockflow.analysis.valuation_service import ValuationReport

Number = int | float


class FactSourceOut(BaseModel):
    source: str
    concept: str | None = None
    accession: str | None = None
    form: str | None = None
    filed: date | None = None
    method: str = "reported"
    inputs: list[str] = []


class StatementOut(BaseModel):
    statement: str
    source: str
    currency: str
    start: date
    end: date
    filed: date | None
    revision: int
    items: dict[str, Number | None]
    sources: dict[str, FactSourceOut]
    flags: list[str]


class PeriodOut(BaseModel):
    period: str
    end: date
    fiscal_year: int
    fiscal_quarter: int | None
    statements: dict[str, StatementOut]
    quarters: list[date] = Field([], description="For TTM: the quarter ends it sums.")


class StatementsPage(BaseModel):
    ticker: str
    version: Version = Field(description="reported = as first reported; restated = latest")
    items: list[PeriodOut]
    next_cursor: str | None = Field(None, description="Period end to pass as `cursor`.")


class RatioOut(BaseModel):
    name: str
    group: str
    formula: str
    unit: str
    value: float | None
    inputs: dict[str, dict[str, Any]]


class PeriodRatiosOut(BaseModel):
    period: str
    end: date
    price: float | None
    price_as_of: date | None
    ratios: list[RatioOut]


class RatiosOut(BaseModel):
    ticker: str
    version: Version
    periods: list[PeriodRatiosOut]


class CompareRequest(BaseModel):
    tickers: list[str] = Field(min_length=1, max_length=50)
    metrics: list[str] | None = None


class IndicatorSpecIn(BaseModel):
    name: str
    params: dict[str, float | int | str] = {}


class BatchIndicatorsRequest(BaseModel):
    tickers: list[str] = Field(min_length=1, max_length=50)
    indicators: list[IndicatorSpecIn] = Field(min_length=1, max_length=50)
    interval: str = "1d"
    start: datetime | None = None
    end: datetime | None = None
    limit: int = Field(500, ge=1, le=20_000)


def fact_out(f: FactSource) -> FactSourceOut:
    return FactSourceOut(source=f.source, concept=f.concept, accession=f.accession,
                         form=f.form, filed=f.filed, method=f.method, inputs=list(f.inputs))


def period_out(p: PeriodData) -> PeriodOut:
    return PeriodOut(period=p.period.value, end=p.end, fiscal_year=p.fiscal_year,
                     fiscal_quarter=p.fiscal_quarter, quarters=list(p.parts), statements={
                         k.value: StatementOut(
                             statement=k.value, source=s.source, currency=s.currency,
                             start=s.start, end=s.end, filed=s.filed, revision=s.revision,
                             items=s.items, flags=list(s.flags),
                             sources={n: fact_out(f) for n, f in s.facts.items()})
                         for k, s in p.statements.items()})


def statements_page(ticker: str, version: Version, periods: list[PeriodData],
                    limit: int) -> StatementsPage:
    cursor = periods[-1].end.isoformat() if len(periods) == limit and periods else None
    return StatementsPage(ticker=ticker, version=version,
                          items=[period_out(p) for p in periods], next_cursor=cursor)


def ratio_out(r: Ratio) -> RatioOut:
    return RatioOut(name=r.name, group=r.group, formula=r.formula, unit=r.unit, value=r.value,
                    inputs=r.inputs)


def ratios_out(ticker: str, version: Version, found: list[PeriodRatios]) -> RatiosOut:
    return RatiosOut(ticker=ticker, version=version, periods=[PeriodRatiosOut(
        period=p.period.period.value, end=p.period.end,
        price=p.market.price if p.market else None,
        price_as_of=p.market.as_of if p.market else None,
        ratios=[ratio_out(r) for r in p.ratios]) for p in found])


def growth_out(report: GrowthReport) -> dict[str, Any]:
    return {"ticker": report.ticker, "version": report.version.value,
            "year_on_year": {k: [asdict(c) for c in v] for k, v in report.year_on_year.items()},
            "quarter_on_quarter": [asdict(c) for c in report.quarter_on_quarter],
            "cagr_3y": [asdict(c) for c in report.cagr_3y],
            "cagr_5y": [asdict(c) for c in report.cagr_5y]}


def valuation_out(report: ValuationReport) -> dict[str, Any]:
    dcf = asdict(report.dcf)
    return {"ticker": report.ticker, "price": report.price, "dcf": dcf, "ddm": report.ddm,
            "multiples": [asdict(s) for s in report.multiples], "peers": report.peers}


def indicators_out(series: IndicatorSeries) -> dict[str, Any]:
    return {"ticker": series.ticker, "interval": series.interval.value,
            # orjson writes aware datetimes as ISO 8601 itself, much faster than isoformat().
            "times": series.times,
            "indicators": [{"name": r.name, "params": r.params, "outputs": r.outputs}
                           for r in series.results]}


def comparison_out(c: Comparison) -> dict[str, Any]:
    return {"metrics": c.metrics, "companies": [asdict(x) for x in c.companies],
            "sector_medians": c.sector_medians, "errors": c.errors}
