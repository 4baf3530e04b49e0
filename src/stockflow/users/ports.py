"""What the users context offers others: the watchlists of every user (for the orchestrator's
pre-market scans and digests) and its published models (users/domain.py)."""

from __future__ import annotations

from typing import Any, Protocol


class Watchlists(Protocol):
    async def watchlists(self, user_id: str) -> list[dict[str, Any]]: ...
    async def watched_tickers(self) -> list[str]: ...


class Portfolios(Protocol):
    """A user's stored portfolio with its open positions (ticker, quantity, average cost);
    not-found (404) when the portfolio is not that user's, so only its owner reads it."""

    async def portfolio(self, user_id: str, portfolio_id: str) -> dict[str, Any]: ...
