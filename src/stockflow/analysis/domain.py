"""Financial statements as values: periods, versions (first reported vs restated) and sources."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from stockflow.analysis.accounts import StatementType

Number = int | float


class PeriodType(StrEnum):
    ANNUAL = "annual"
    QUARTER = "quarter"
    TTM = "ttm"


class Version(StrEnum):
    REPORTED = "reported"     # as first reported
    RESTATED = "restated"     # latest restated


@dataclass(frozen=True, slots=True)
class FactSource:
    """Where one number came from: the vendor, and for SEC filings the accession and concept."""

    source: str
    concept: str | None = None
    accession: str | None = None
    form: str | None = None
    filed: date | None = None
    method: str = "reported"        # or "ytd_difference", "fy_minus_9m", "computed"
    inputs: tuple[str, ...] = ()    # accession numbers a derived value was computed from


@dataclass(frozen=True, slots=True)
class Statement:
    ticker: str
    statement: StatementType
    period: PeriodType
    fiscal_year: int
    fiscal_quarter: int | None          # 1..4 for quarters, None for annual and TTM
    start: date
    end: date
    currency: str
    items: dict[str, Number | None]
    source: str
    filed: date | None = None
    revision: int = 0                   # 0 = as first reported; higher = later restatements
    facts: dict[str, FactSource] = field(default_factory=dict)
    flags: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, StatementType, PeriodType, date]:
        return (self.ticker, self.statement, self.period, self.end)

    def get(self, name: str) -> Number | None:
        return self.items.get(name)


def select_version(statements: Iterable[Statement], version: Version) -> list[Statement]:
    """One statement per (ticker, type, period, end): the earliest or latest revision."""
    chosen: dict[tuple, Statement] = {}
    for s in statements:
        kept = chosen.get(s.key)
        if kept is None or (s.revision < kept.revision) == (version is Version.REPORTED):
            chosen[s.key] = s
    return sorted(chosen.values(), key=lambda s: (s.end, s.statement, s.period))


def restated_periods(statements: Iterable[Statement]) -> set[tuple]:
    """Keys of the periods that have more than one revision."""
    return {s.key for s in statements if s.revision > 0}


@dataclass(frozen=True, slots=True)
class CompanyProfile:
    """The company fields vendors report beside the statements; None where one is silent."""

    ticker: str
    name: str | None = None
    cik: str | None = None
    exchange: str | None = None
    currency: str | None = None
    country: str | None = None
    sector: str | None = None
    industry: str | None = None
    description: str | None = None
    website: str | None = None
    employees: int | None = None
    fiscal_year_end: str | None = None      # "December", "March"…
    shares_outstanding: int | None = None
    market_cap: float | None = None
    beta: float | None = None
    dividend_per_share: float | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class KeyFigures:
    """A company's headline figures over the latest twelve months; ratios as fractions (0.65 is
    65 %), the P/E at the latest stored price. What other contexts read (search indexes it)."""

    ticker: str
    name: str
    sector: str | None = None
    industry: str | None = None
    market_cap: float | None = None
    gross_margin: float | None = None
    operating_margin: float | None = None
    net_margin: float | None = None
    revenue_growth: float | None = None   # against the twelve months a year before
    pe_ratio: float | None = None
    dividend_yield: float | None = None
    debt_to_equity: float | None = None


@dataclass(frozen=True, slots=True)
class QuarterResult:
    """One fiscal quarter's results as first reported, beside the same quarter a year before
    (None where no such quarter is stored): what a results story quotes."""

    ticker: str
    fiscal_year: int
    fiscal_quarter: int
    end: date
    reported: date                        # the filing date: when the results became known
    currency: str
    revenue: float | None
    eps: float | None                     # diluted
    prior_revenue: float | None = None
    prior_eps: float | None = None
