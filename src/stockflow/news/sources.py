"""The news worker's sources: simulated news over the simulated market, the configured RSS/Atom
feeds (each with its own conditional GET and back-off), and the keyed vendors through the
generic resilient chain (breaker, token bucket, retries per vendor)."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stockflow.analysis.domain import QuarterResult
from stockflow.analysis.ports import QuarterlyResults
from stockflow.core.resilience.chain import ResilientChain
from stockflow.market.domain import AssetClass, Instrument, Interval
from stockflow.market.ports import MarketReader
from stockflow.news.config import FeedConfig
from stockflow.news.domain import RawArticle
from stockflow.news.ingest import Every
from stockflow.news.simulated import Move, SimulatedNews, big_moves

HISTORY_DAYS = 400  # daily bars read to know an instrument's usual daily move
RESULTS_HOUR = 12   # a results story breaks at 12:00 UTC on its filing day (moves: 13:00)


class SimulatedSource:
    """Every minute's background articles since the last ask, plus the story of each jump day
    of the simulated market (from its stored daily bars) and, when the analysis context runs,
    of each quarter's results filed in the window (its stored figures), once that story's time
    has passed."""

    name = "simulated"

    def __init__(self, news: Callable[[], SimulatedNews], market: MarketReader, *,
                 per_minute: int, backfill: timedelta, move_days: int,
                 results: QuarterlyResults | None = None) -> None:
        self._news = news
        self.market = market
        self.results = results
        self.per_minute = per_minute
        self.backfill = backfill
        self.move_days = move_days
        self.last: datetime | None = None
        self.moves: list[Move] = []
        self.reports: list[QuarterResult] = []
        self._moves_at: datetime | None = None
        self._told: set[tuple[object, ...]] = set()

    def due(self, now: datetime) -> bool:
        return self.last is None or now - self.last >= timedelta(seconds=5)

    async def fetch(self, now: datetime) -> list[RawArticle]:
        news = self._news()
        start = self.last or now - self.backfill
        self.last = now
        if self._moves_at is None or now - self._moves_at >= timedelta(hours=1):
            self.moves = await self._recent_moves(now)
            self.reports = await self._recent_reports(now)
            self._moves_at = now
        out = list(news.between(start, now, per_minute=self.per_minute))
        for move in self.moves:
            at = datetime.combine(move.day, datetime.min.time(), now.tzinfo) + timedelta(hours=13)
            if at <= now and (move.ticker, move.day) not in self._told:
                self._told.add((move.ticker, move.day))
                out.extend(a for a in news.move_story(move, at) if a.published_at <= now)
        for r in self.reports:
            at = datetime.combine(r.reported, datetime.min.time(), now.tzinfo) + timedelta(
                hours=RESULTS_HOUR)
            if at <= now and ("results", r.ticker, r.end) not in self._told:
                self._told.add(("results", r.ticker, r.end))
                out.extend(a for a in news.results_story(r, at) if a.published_at <= now)
        return out

    async def _recent_reports(self, now: datetime) -> list[QuarterResult]:
        """Quarterly results filed in the last `move_days` days, from the analysis context."""
        if self.results is None:
            return []
        first, last = (now - timedelta(days=self.move_days)).date(), now.date() + timedelta(days=1)
        out: list[QuarterResult] = []
        for inst in self.market.universe:
            if inst.asset_class is AssetClass.EQUITY:
                out += await self.results.reported_between(inst.ticker, first, last)
        return out

    async def _recent_moves(self, now: datetime) -> list[Move]:
        out: list[Move] = []
        first = (now - timedelta(days=self.move_days)).date()
        for inst in self.market.universe:
            out.extend(m for m in await self._moves_of(inst, now) if m.day >= first)
        return out

    async def _moves_of(self, inst: Instrument, now: datetime) -> list[Move]:
        bars = await self.market.bars(inst.ticker, Interval.D1,
                                      now - timedelta(days=HISTORY_DAYS), now, HISTORY_DAYS)
        if len(bars) < 30:
            return []
        closes = [b.close for b in bars]
        rets = [b / a - 1.0 for a, b in itertools.pairwise(closes) if a > 0]
        # The usual move by median absolute deviation: the jumps themselves do not inflate it.
        center = statistics.median(rets)
        vol = 1.4826 * statistics.median(abs(r - center) for r in rets)
        return big_moves(closes, [b.time.date() for b in bars], inst.ticker, vol) if vol else []


@dataclass
class FeedHealth:
    name: str
    url: str
    state: str
    failures: int
    last_status: int | None
    last_error: str | None
    next_due: datetime | None
    items_seen: int


class FeedSource:
    """One configured feed, polled by a shared FeedPoller on the feed's own interval; a failing
    feed backs off exponentially on its own (the poller keeps its state)."""

    def __init__(self, config: FeedConfig, poller: Any, state: Any) -> None:
        self.config = config
        self.poller = poller
        self.state = state
        self.name = config.name or str(config.url.host)
        self.rejected = 0

    def due(self, now: datetime) -> bool:
        return self.state.next_due is None or now >= self.state.next_due

    async def fetch(self, now: datetime) -> list[RawArticle]:
        result = await self.poller.poll(self.state)
        if result.error:
            raise RuntimeError(result.error)
        if result.feed is None:
            return []
        self.rejected += len(result.feed.rejected)
        return list(result.feed.articles)

    def health(self) -> FeedHealth:
        s = self.state
        state = "ok" if s.failures == 0 else "backing_off"
        if s.last_status is None and s.failures == 0:
            state = "not_polled"
        return FeedHealth(self.name, str(self.config.url), state, s.failures, s.last_status,
                          s.last_error, s.next_due, s.items_seen)


class VendorSource:
    """A keyed news vendor, asked every `seconds` through the chain (its breaker and limiter).
    Vendors that need a ticker are asked once per configured ticker."""

    def __init__(self, vendor: Any, chain: ResilientChain[Any], *, seconds: float,
                 needs_ticker: bool, tickers: Sequence[str]) -> None:
        self.vendor = vendor
        self.chain = chain
        self.name = vendor.name
        self.every = Every(seconds)
        self.seconds = seconds
        self.asks: list[str | None] = list(tickers) if needs_ticker else [None]
        self.since: datetime | None = None

    def due(self, now: datetime) -> bool:
        return bool(self.asks) and self.every.due(now)

    async def fetch(self, now: datetime) -> list[RawArticle]:
        since = self.since or now - timedelta(seconds=self.seconds)
        out: list[RawArticle] = []
        for ticker in self.asks:
            out.extend(await self.chain.ask(self.name, lambda v, t=ticker: v.fetch_news(
                t, since=since, until=now)))
        self.since = now
        return out
