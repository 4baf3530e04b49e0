"""Use cases: count a quote update, list the busiest tickers."""

from __future__ import annotations

from stockflow._template.domain import Tally
from stockflow._template.ports import TallyStore


class TallyService:
    def __init__(self, store: TallyStore) -> None:
        self.store = store

    async def count(self, ticker: str) -> None:
        await self.store.add(ticker)

    async def top(self, limit: int) -> list[Tally]:
        return await self.store.top(limit)
