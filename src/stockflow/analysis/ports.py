"""Ports of the analysis context: where statements and company profiles come from, and what later
contexts may read of them (key figures per company, quarterly results)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol, runtime_checkable

from stockflow.analysis import codec
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import (
    CompanyProfile,
    KeyFigures,
    PeriodType,
    QuarterResult,
    Statement,
)
from stockflow.analysis.errors import NoFundamentals
from stockflow.core.problems import not_found


@runtime_checkable
class FundamentalsSource(Protocol):
    """A vendor (or the simulation) that answers with statements in the chart of accounts."""

    name: str

    def supports(self, ticker: str) -> bool: ...
    async def statements(self, ticker: str) -> list[Statement]: ...


@runtime_checkable
class ProfileSource(Protocol):
    name: str

    async def profile(self, ticker: str) -> CompanyProfile: ...


@runtime_checkable
class KeyFiguresReader(Protocol):
    """Key figures of the companies whose statements are stored, for another context (search
    indexes them as financial profiles): one by ticker, or the tickers in order a page at a
    time, resumable from the last ticker seen. Never fetches from a vendor."""

    async def key_figures(self, ticker: str) -> KeyFigures | None:
        """None when no statements of the ticker are stored."""
    async def tickers(self, after: str | None, limit: int) -> list[str]: ...
    async def count(self) -> int: ...


@runtime_checkable
class QuarterlyResults(Protocol):
    """Stored quarterly results by filing date (the simulated news quotes them). Never fetches
    from a vendor."""

    async def reported_between(self, ticker: str, start: date, end: date) -> list[QuarterResult]:
        """Quarters of the ticker filed in [start, end), oldest first; [] when none is stored."""


class NoSource:
    """What answers when settings switch every source off: each equity is a clear 404."""

    name = "none"

    def supports(self, ticker: str) -> bool:
        return False

    async def statements(self, ticker: str) -> list[Statement]:
        raise NoFundamentals(ticker.upper(), "no fundamentals source is configured "
                             "(STOCKFLOW_ANALYSIS__SOURCES and the sources' settings)")


class InMemoryFundamentals:
    """Statements and profiles held in memory: for tests, and for data pushed in by a job."""

    name = "memory"

    def __init__(self, statements: Iterable[Statement] = (),
                 profiles: Sequence[CompanyProfile] = ()) -> None:
        self._statements: dict[str, list[Statement]] = {}
        self._profiles = {p.ticker: p for p in profiles}
        self.add(statements)

    def add(self, statements: Iterable[Statement]) -> None:
        for s in statements:
            self._statements.setdefault(s.ticker, []).append(s)

    def supports(self, ticker: str) -> bool:
        return ticker.upper() in self._statements

    async def statements(self, ticker: str) -> list[Statement]:
        if not self.supports(ticker):
            raise not_found("ticker", ticker)
        return list(self._statements[ticker.upper()])

    async def profile(self, ticker: str) -> CompanyProfile:
        profile = self._profiles.get(ticker.upper())
        if profile is None:
            raise not_found("company profile", ticker)
        return profile


StatementKey = tuple[str, date, StatementType]


@runtime_checkable
class StatementStore(Protocol):
    """Where fetched statements and profiles are kept (SqlStatementStore, InMemoryStatementStore)."""

    async def save_company(self, profile: CompanyProfile) -> None: ...
    async def company(self, ticker: str) -> CompanyProfile | None: ...
    async def save_statements(self, statements: Sequence[Statement]) -> list[StatementKey]: ...
    async def statements(self, ticker: str, *, statement: StatementType | None = None,
                         period: PeriodType | None = None, before: date | None = None,
                         limit: int = 1000) -> list[Statement]: ...
    async def tickers(self) -> list[str]: ...


class InMemoryStatementStore:
    """The StatementStore in a dict, with the SQL store's merge rules (same codec)."""

    def __init__(self) -> None:
        self._companies: dict[str, CompanyProfile] = {}
        self._rows: dict[StatementKey, dict] = {}

    async def save_company(self, profile: CompanyProfile) -> None:
        self._companies[profile.ticker] = profile

    async def company(self, ticker: str) -> CompanyProfile | None:
        return self._companies.get(ticker)

    async def save_statements(self, statements: Sequence[Statement]) -> list[StatementKey]:
        changed: list[StatementKey] = []
        for s in statements:
            key = (s.ticker, s.end, s.statement)
            self._companies.setdefault(s.ticker, CompanyProfile(s.ticker, name=s.ticker))
            data, diff = codec.merge(self._rows.get(key, {}), s)
            if (diff or key not in self._rows) and key not in changed:
                changed.append(key)
            self._rows[key] = data
        return changed

    async def statements(self, ticker: str, *, statement: StatementType | None = None,
                         period: PeriodType | None = None, before: date | None = None,
                         limit: int = 1000) -> list[Statement]:
        keys = sorted((k for k in self._rows if k[0] == ticker
                       and (statement is None or k[2] is statement)
                       and (before is None or k[1] < before)),
                      key=lambda k: (-k[1].toordinal(), k[2].value))
        out: list[Statement] = []
        ends: list[date] = []
        for key in keys:
            found = [s for s in codec.rows(ticker, key[1], key[2].value, self._rows[key])
                     if period is None or s.period is period]
            if found and key[1] not in ends:
                if len(ends) == limit:
                    break
                ends.append(key[1])
            out.extend(found)
        return out

    async def tickers(self) -> list[str]:
        return sorted({k[0] for k in self._rows})


@runtime_checkable
class IndicatorReader(Protocol):
    """Indicators on stored bars by name and dotted parameters ("rsi", {"rsi.timeperiod": 14})."""

    async def from_query(self, ticker: str, indicators: str, query: Mapping[str, Any],
                         **window: Any) -> Any: ...


@runtime_checkable
class RatioReader(Protocol):
    """Ratios of the newest periods (TTM by default), valuation ones at the latest close."""

    async def ratios(self, ticker: str) -> list[Any]: ...


@runtime_checkable
class ValuationReader(Protocol):
    """A DCF, a DDM and peer multiples for one company."""

    async def valuation(self, ticker: str) -> Any: ...
