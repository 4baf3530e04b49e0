"""The orchestrator's pre-market scans (seed 000): every watchlist's tickers, before the US
open and before the NSE open, announcing the signals that changed since the last close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stockflow.core.jobs import JobSkipped, JobSpec
from stockflow.core.problems import Problem
from stockflow.market.ports import MarketReader
from stockflow.signals.config import SignalsSettings
from stockflow.signals.live import LiveSignals
from stockflow.users.ports import Watchlists

INDIA = frozenset({"XNSE", "XBOM"})


async def watched(watchlists: Watchlists | None) -> list[str]:
    """Tickers of every user's watchlists, read from the users context at each run."""
    return [] if watchlists is None else await watchlists.watched_tickers()


def jobs(live: LiveSignals, watchlists: Watchlists | None,
         market: MarketReader, s: SignalsSettings) -> list[JobSpec]:
    def exchange(ticker: str) -> str | None:
        try:
            return market.instrument(ticker).exchange
        except Problem:
            return None

    def scan(keep: Callable[[str | None], bool], where: str):
        async def run() -> dict[str, Any]:
            tickers = [t for t in await watched(watchlists) if keep(exchange(t))]
            if not tickers:
                raise JobSkipped(f"no watchlist holds a ticker {where}")
            return await live.scan(tickers)
        return run

    return [JobSpec("signals-premarket-scan", s.scan_us_cron,
                    "signals of every watchlist ticker before the US open",
                    scan(lambda x: x is not None and x not in INDIA, "outside India")),
            JobSpec("signals-premarket-scan-india", s.scan_india_cron,
                    "signals of every watchlist's Indian tickers before the NSE open",
                    scan(lambda x: x in INDIA, "on NSE or BSE"))]
