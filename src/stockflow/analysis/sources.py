"""Fundamentals from several vendors in order, behind the platform's failover machinery.

Each member is asked through `ProviderChain.ask`, so it has its breaker, limiter and retries;
a 429 penalises the member's limiter for its retry-after (ten minutes for SEC), and while it is
blocked the chain moves straight to the next source.
"""

from __future__ import annotations

from stockflow.adapters.providers.errors import ProviderError
from stockflow.analysis.domain import Statement
from stockflow.analysis.ports import FundamentalsSource
from stockflow.market.failover import ChainExhausted, ProviderChain


class FundamentalsChain:
    name = "fundamentals"

    def __init__(self, chain: ProviderChain) -> None:
        self.chain = chain

    @property
    def members(self) -> list[FundamentalsSource]:
        return list(self.chain.providers)  # type: ignore[arg-type]

    def supports(self, ticker: str) -> bool:
        return any(p.supports(ticker) for p in self.members)

    async def statements(self, ticker: str) -> list[Statement]:
        errors: dict[str, str] = {}
        for member in self.members:
            if not member.supports(ticker):
                continue
            try:
                return await self.chain.ask(member.name, lambda m: m.statements(ticker))
            except ProviderError as e:
                errors[member.name] = e.message
        raise ChainExhausted(self.chain.name, errors)
