"""Tick sources for the ingestion worker. The simulated market is one; broker streams come later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from stockflow.market.domain import Quote


class TickSource(Protocol):
    name: str

    def poll(self, now: datetime) -> list[dict[str, Any]]: ...


class _QuoteProvider(Protocol):
    name: str

    def quote_sync(self, ticker: str, at: datetime | None = None) -> Quote: ...


class SimulatedTickSource:
    """Turns the simulated market's quotes into trade ticks, one per ticker that moved.

    The sequence number is the quote's time in microseconds, so the same instant always yields
    the same identity (provider, symbol, seq) and a replay is recognisable downstream.
    """

    def __init__(self, provider: _QuoteProvider, tickers: Sequence[str]) -> None:
        self.provider = provider
        self.name = provider.name
        self.tickers = list(tickers)
        self._last: dict[str, tuple[float, int]] = {}

    def poll(self, now: datetime) -> list[dict[str, Any]]:
        out = []
        for ticker in self.tickers:
            q = self.provider.quote_sync(ticker, now)
            last = self._last.get(ticker)
            if last is not None and last == (q.price, q.volume):
                continue  # a closed market does not trade
            size = q.volume - last[1] if last is not None and q.volume >= last[1] else 0
            self._last[ticker] = (q.price, q.volume)
            ts = int(q.time.timestamp() * 1_000_000)
            out.append({"provider": self.name, "symbol": ticker, "seq": ts, "ts": ts,
                        "price": q.price, "size": size, "bid": q.bid, "ask": q.ask,
                        "bid_size": q.bid_size, "ask_size": q.ask_size,
                        "prev_close": q.prev_close})
        return out
