"""DailyHistory on the market context's MarketStore port (market/ports.py): its daily bars as a DailySeries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stockflow.core.ports import Clock
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketStore
from stockflow.predict.series import DailySeries, from_bars


class MarketStoreHistory:
    def __init__(self, store: MarketStore, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock

    async def daily(self, ticker: str, limit: int) -> DailySeries | None:
        if await self.store.get_instrument(ticker) is None:
            return None
        now = self.clock.now() if self.clock else datetime.now(UTC)
        # A bar's time is its session's start; "before tomorrow" includes today's close.
        bars = await self.store.last_bars(ticker, Interval.D1, now + timedelta(days=1), limit)
        return from_bars(bars)
