"""What the context needs (a tally store) and offers others (reading tallies)."""

from __future__ import annotations

from typing import Protocol

from stockflow._template.domain import Tally


class TallyStore(Protocol):
    async def add(self, ticker: str, n: int = 1) -> None: ...
    async def top(self, limit: int) -> list[Tally]: ...


class MemoryTallyStore:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    async def add(self, ticker: str, n: int = 1) -> None:
        self._counts[ticker] = self._counts.get(ticker, 0) + n

    async def top(self, limit: int) -> list[Tally]:
        ranked = sorted(self._counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [Tally(t, n) for t, n in ranked]
