"""Tick sources for the ingestion worker: the simulated market, and real providers polled
through their failover chains (seed 002 §8: quotes every 15 s in market hours)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from stockflow.core.logging import get_logger
from stockflow.core.resilience.errors import ProviderError
from stockflow.market.domain import Quote
from stockflow.market.ports import MarketDataProvider
from stockflow.pipeline.ports import TickSource  # noqa: F401 - re-exported

log = get_logger(__name__)


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

    async def poll(self, now: datetime) -> list[dict[str, Any]]:
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


def quote_tick(q: Quote, seq: int) -> dict[str, Any]:
    """A provider's quote as a raw tick; `seq` (the quote's time in µs) makes it recognisable
    when the same quote is polled twice."""
    return {"provider": q.provider, "symbol": q.ticker, "seq": seq, "ts": seq,
            "price": q.price, "size": 0, "bid": q.bid, "ask": q.ask, "bid_size": q.bid_size,
            "ask_size": q.ask_size, "prev_close": q.prev_close or None}


class ProviderQuoteSource:
    """Polls real providers, one batch per asset-class chain, for the tickers whose market is
    open (crypto always). A chain that fails is logged and counted; the others still publish.
    A quote whose time has not moved since the last poll yields no tick."""

    name = "providers"

    def __init__(self, groups: Mapping[str, tuple[MarketDataProvider, Sequence[str]]], *,
                 is_open: Callable[[str, datetime], bool], market_hours_only: bool = True,
                 history: int = 50) -> None:
        self.groups = {k: (chain, list(tickers)) for k, (chain, tickers) in groups.items()}
        self.is_open = is_open
        self.market_hours_only = market_hours_only
        self._last_seq: dict[str, int] = {}
        self.runs: deque[dict[str, Any]] = deque(maxlen=history)

    async def poll(self, now: datetime) -> list[dict[str, Any]]:
        started = time.perf_counter()
        ticks: list[dict[str, Any]] = []
        stats: dict[str, Any] = {"time": now.isoformat(), "asked": 0, "quotes": 0,
                                 "ticks": 0, "failed_chains": {}}
        for name, (chain, tickers) in self.groups.items():
            wanted = [t for t in tickers if not self.market_hours_only or self.is_open(t, now)]
            if not wanted:
                continue
            stats["asked"] += len(wanted)
            try:
                quotes = await chain.quotes(wanted, now)
            except (ProviderError, TimeoutError) as e:
                stats["failed_chains"][name] = str(e)[:300]
                log.warning("quote poll failed", chain=name, error=str(e)[:300])
                # What the chain did answer is still news.
                quotes = list(getattr(e, "partial", {}).values())
            stats["quotes"] += len(quotes)
            for q in quotes:
                seq = int(q.time.timestamp() * 1_000_000)
                if self._last_seq.get(q.ticker) == seq:
                    continue
                self._last_seq[q.ticker] = seq
                ticks.append(quote_tick(q, seq))
        stats["ticks"] = len(ticks)
        stats["seconds"] = round(time.perf_counter() - started, 4)
        self.runs.append(stats)
        return ticks
