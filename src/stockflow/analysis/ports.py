"""Ports of the analysis context: where statements and company profiles come from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from stockflow.analysis.domain import CompanyProfile, Statement
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
