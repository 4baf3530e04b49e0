"""Market jobs: history backfill, the live quote loop, and the market-status watcher."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from stockflow.core.catalogue import Topic
from stockflow.core.jobs import JobFailed, JobSpec
from stockflow.core.lifecycle import OneShot
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.module import FILLING
from stockflow.core.ports import Clock, EventBus
from stockflow.core.resilience.errors import ProviderError
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketDataProvider, MarketStore
from stockflow.market.service import MarketDataService

log = get_logger(__name__)
INTRADAY = (Interval.M1, Interval.M5, Interval.M15, Interval.H1)
# Weekends and holidays have no bars: a window's first bar may come this long after its start.
HEAD_SLACK = timedelta(days=4)
# What the first phase of the start-up backfill loads: what quotes, the session figures and
# recent charts need, before the deep history.
RECENT_DAILY_DAYS = 14
RECENT_MINUTE_DAYS = 1
Progress = Callable[[str, int], None]


class Backfill:
    """Writes provider history into storage: daily bars for years, intraday for recent days."""

    def __init__(self, *, provider: MarketDataProvider, store: MarketStore, clock: Clock,
                 metrics: Metrics) -> None:
        self.provider = provider
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.failed: dict[str, str] = {}

    async def run(self, tickers: Sequence[str], *, years: int, minute_days: int,
                  progress: Progress | None = None, only_missing: bool = False,
                  daily_days: int | None = None) -> int:
        """Daily bars for `years` (or `daily_days`) and intraday bars for `minute_days`
        sessions. `only_missing`: per ticker and interval, only what storage lacks at the start
        of the window and after its last stored bar (the gap left while the server was down)."""
        self.failed = {}
        now = self.clock.now()
        end = now + timedelta(days=1)
        daily_start = now - timedelta(days=daily_days if daily_days else 366 * years)
        # Calendar days are padded so that `minute_days` trading sessions fit around weekends.
        intraday_start = now - timedelta(days=minute_days + 2 + minute_days // 5 * 2)
        windows = [(Interval.D1, daily_start), *((i, intraday_start) for i in INTRADAY)]
        total = 0
        for ticker in tickers:
            written = 0
            try:
                for interval, start in windows:
                    spans = (await self.missing(ticker, interval, start, now) if only_missing
                             else [(start, end)])
                    for a, b in spans:
                        written += await self.load(ticker, interval, a, b)
            except (ProviderError, TimeoutError) as e:
                # One vendor's gap must not stop the other tickers' history.
                self.failed[ticker] = str(e)[:300]
                log.warning("backfill failed for a ticker", ticker=ticker, error=str(e)[:300])
            total += written
            if progress:
                progress(ticker, written)
        log.info("backfill finished", tickers=len(tickers), bars=total)
        return total

    async def missing(self, ticker: str, interval: Interval, start: datetime,
                      now: datetime) -> list[tuple[datetime, datetime]]:
        """The parts of [start, now) storage lacks for `ticker`: all of it when nothing is
        stored; else before its first bar (beyond a long weekend, which has no bars anyway)
        and after its last."""
        span = await self.store.bar_span(ticker, interval)
        if span is None:
            return [(start, now)]
        first, last = (_aware(t) for t in span)
        gaps = []
        if first - start > HEAD_SLACK:
            gaps.append((start, first))
        if last + interval.delta < now:
            gaps.append((last + interval.delta, now))
        return gaps

    async def load(self, ticker: str, interval: Interval, start: datetime, end: datetime) -> int:
        bars = await self.provider.bars(ticker, interval, start, end)
        # Only closed bars are history; the bar in progress belongs to the live stream.
        now = self.clock.now()
        bars = [b for b in bars if b.time + interval.delta <= now]
        written = await self.store.write_bars(bars)
        self.metrics.bars_backfilled.labels(interval.value).inc(written)
        await asyncio.sleep(0)  # let the server answer requests between tickers
        return written


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class DailyBars:
    """After the close: the last few daily bars of every watched ticker whose session has
    ended, from the providers into storage (idempotent writes: a re-run stores nothing twice).
    Crypto, which never closes, gets its completed UTC days."""

    def __init__(self, *, backfill: Backfill, calendars: MarketCalendars,
                 exchange_of: Callable[[str], str], clock: Clock, days: int = 5) -> None:
        self.backfill = backfill
        self.calendars = calendars
        self.exchange_of = exchange_of
        self.clock = clock
        self.days = days

    async def run(self, tickers: Sequence[str]) -> dict[str, object]:
        now = self.clock.now()
        closed = [t for t in tickers if self.exchange_of(t) == "CRYPTO"
                  or not self.calendars.is_trading_time(self.exchange_of(t), now)]
        failed: dict[str, str] = {}
        bars = 0
        for ticker in closed:
            try:
                bars += await self.backfill.load(ticker, Interval.D1,
                                                 now - timedelta(days=self.days), now)
            except (ProviderError, TimeoutError) as e:
                failed[ticker] = str(e)[:300]
        stats = {"tickers": len(closed), "skipped_open": len(tickers) - len(closed),
                 "bars": bars, "failed": failed}
        log.info("daily bars fetched", tickers=len(closed), bars=bars, failed=len(failed))
        return stats


class StatusWatcher:
    """Publishes market.status.changed whenever an exchange's state moves."""

    def __init__(self, market: MarketDataService, bus: EventBus, topic: Topic) -> None:
        self.market = market
        self.bus = bus
        self.topic = topic
        self._last: dict[str, str] = {}

    async def check(self, at: datetime | None = None) -> list[str]:
        changed = []
        for status in self.market.market_status(at):
            ex, state = status["exchange"], status["state"]
            previous = self._last.get(ex)
            self._last[ex] = state
            if previous is not None and previous != state:
                changed.append(ex)
                await self.bus.publish(self.topic.name, self.topic.event(
                    {**status, "previous_state": previous}, key=ex))
        return changed



class InitialBackfill(OneShot):
    """The history loaded at start, in the background, in two phases: the recent days first
    (today's bars, the gap since the last run), then the deep history. `recent` is set after
    the first, `done` after both; `/ready` waits for the first and reports the second."""

    def __init__(self, name: str, backfill: Backfill, tickers: Callable[[], list[str]], *,
                 years: int, minute_days: int) -> None:
        super().__init__(name, self._phases)
        self.backfill = backfill
        self.tickers = tickers
        self.years, self.minute_days = years, minute_days
        self.recent = asyncio.Event()
        self.bars: dict[str, int] = {}

    async def _phases(self) -> None:
        try:
            self.bars["recent"] = await self.backfill.run(
                self.tickers(), years=self.years, minute_days=RECENT_MINUTE_DAYS,
                daily_days=RECENT_DAILY_DAYS, only_missing=True)
        finally:
            self.recent.set()
        self.bars["history"] = await self.backfill.run(
            self.tickers(), years=self.years, minute_days=self.minute_days, only_missing=True)

    async def recent_loaded(self) -> None:
        await self.recent.wait()

    def state(self) -> dict[str, str]:
        if not self.recent.is_set():
            return {"history": "backfilling"}
        return {"history": "ready", "deep_history": "ready" if self.done.is_set() else FILLING}


def jobs(backfill: Backfill, calendars: MarketCalendars, ticks: Any, market: MarketDataService,
         s: Any) -> list[JobSpec]:
    """The market's scheduled jobs: daily bars after the close, the weekly backfill."""

    async def weekly_backfill() -> dict[str, Any]:
        # Weekly gap filling: the writes are idempotent, so re-reading a year costs no duplicates.
        tickers = [i.ticker for i in market.universe]
        bars = await backfill.run(tickers, years=1,
                                  minute_days=s.simulator.backfill_minute_days)
        return {"tickers": len(tickers), "bars": bars}

    async def daily_bars() -> dict[str, Any]:
        job = DailyBars(backfill=backfill, calendars=calendars, exchange_of=ticks.exchange_of,
                        clock=backfill.clock, days=s.ingestion.daily_bars_days)
        stats = await job.run(ticks.watched())
        if stats["failed"] and not stats["bars"]:
            raise JobFailed("no daily bars could be fetched", stats)
        return stats

    return [
        # 22:30 UTC: after New York's close in summer and winter time; Mumbai closed hours before.
        JobSpec("daily-bars", "30 22 * * 1-5",
                "daily bars of the last days for every watched ticker whose session has ended",
                daily_bars),
        JobSpec("backfill", "0 2 * * 0",
                "weekly historical backfill: fills any gap in the last year of daily bars and "
                "the recent intraday bars", weekly_backfill),
    ]
