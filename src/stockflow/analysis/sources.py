"""Fundamentals from several vendors in order, on the platform's generic failover chain.

Each member is called through its breaker, limiter and retries (`ResilientChain.run`); a 429
penalises the member's limiter for its retry-after (ten minutes for SEC), and while it is
blocked the chain moves straight to the next source.
"""

from __future__ import annotations

from typing import Any

from stockflow.analysis.domain import CompanyProfile, Statement
from stockflow.analysis.ports import FundamentalsSource, ProfileSource
from stockflow.core.resilience.chain import ResilientChain
from stockflow.core.resilience.errors import ProviderNotFound


def _some_statements(_member: Any, answer: list[Statement]) -> str | None:
    return None if answer else "answered with no statements"


class FundamentalsChain(ResilientChain[FundamentalsSource]):
    """A FundamentalsSource and ProfileSource over its members, first good answer wins."""

    def supports(self, ticker: str) -> bool:
        return any(p.supports(ticker) for p in self.providers)

    async def statements(self, ticker: str) -> list[Statement]:
        return await self.run(f"statements {ticker}", lambda m: m.supports(ticker),
                              lambda m: m.statements(ticker), _some_statements)

    async def profile(self, ticker: str) -> CompanyProfile:
        if not any(isinstance(m, ProfileSource) and m.supports(ticker) for m in self.providers):
            raise ProviderNotFound(self.name, f"no source has a profile of {ticker}")
        return await self.run(f"profile {ticker}",
                              lambda m: isinstance(m, ProfileSource) and m.supports(ticker),
                              lambda m: m.profile(ticker), lambda _m, _p: None)
