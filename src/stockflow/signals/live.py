"""Signals at bar close: each closed bar of a watched interval recomputes the ticker's built-in
strategies and announces those whose action changed as `signal.generated`; the pre-market scan
does the same for every watchlist's tickers.

State is per ticker (the last announced action of each strategy, in the signals_state table),
so any member of the `signals` group can handle any ticker: bar events carry the ticker as their
key, and a row only moves forward in bar time. An event id is derived from (ticker, strategy,
interval, bar), so a bar handled twice announces the same event, which consumers drop by id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from stockflow.core.catalogue import SIGNAL_GENERATED, BarClosed
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock, EventBus
from stockflow.core.problems import Problem
from stockflow.market.domain import Interval
from stockflow.signals import strategies
from stockflow.signals.domain import ACTIONS, Sentiment, Series
from stockflow.signals.ports import SignalState
from stockflow.signals.service import SignalService, span

log = get_logger(__name__)
_IDS = uuid.UUID("6d1c3b8e-2f6a-4b61-9a57-5c3f0e8a9d21")
HANDLED = "*"   # the state row of the last bar handled, whatever changed


def signal_id(ticker: str, strategy: str, interval: str, bar_time: datetime) -> str:
    return uuid.uuid5(_IDS, f"{ticker}|{strategy}|{interval}|{bar_time.isoformat()}").hex


class LiveSignals:
    def __init__(self, signals: SignalService, state: SignalState, bus: EventBus,
                 clock: Clock) -> None:
        self.signals, self.state, self.bus, self.clock = signals, state, bus, clock
        self.handled = 0
        self.announced = 0

    async def on_bar(self, bar: BarClosed) -> int:
        """A closed bar: the series up to and including it, then announce what changed."""
        if bar.interval not in self.signals.settings.intervals:
            return 0
        iv = Interval(bar.interval)
        at = datetime.fromisoformat(bar.time)
        try:
            ticker = self.signals.ticker(bar.ticker)
        except Problem:
            return 0   # not an instrument of this universe
        stored, news = await self.signals.series(
            ticker, iv.value, at - span(iv, self.signals.settings.history_bars), at)
        # The storage group may not have written this bar yet: the event itself is the bar.
        if len(stored) and stored.time(len(stored) - 1) >= at:
            return 0   # an older bar delivered late: a newer one has been handled
        s = stored.append(at, iv.delta, bar.open, bar.high, bar.low, bar.close, bar.volume)
        self.handled += 1
        return await self.announce(s, news)

    async def announce(self, s: Series, news: Sentiment) -> int:
        """Publish each strategy whose action at the last bar differs from the bar before."""
        if len(s) < 2:
            return 0
        bar_time = s.time(len(s) - 1)
        known = await self.state.last(s.ticker, s.interval)
        if HANDLED in known and known[HANDLED][1] >= bar_time:
            return 0   # redelivered, or older than a bar handled already
        tracks = strategies.run_all(s, news)
        events, rows = [], []
        for name, track in tracks.items():
            now, before = int(track.action[-1]), int(track.action[-2])
            seen = known.get(name)
            if now == before or (seen is not None and seen[1] >= bar_time):
                continue
            sig = track.at(len(s) - 1)
            event = SIGNAL_GENERATED.event({
                "ticker": s.ticker, "strategy": name, "action": sig["action"],
                "strength": sig["strength"], "confidence": sig["confidence"],
                "interval": s.interval, "bar_time": bar_time.isoformat(),
                "previous_action": ACTIONS[before], "reasons": sig["reasons"]}, key=s.ticker)
            event.id = signal_id(s.ticker, name, s.interval, bar_time)
            events.append(event)
            rows.append((name, sig["action"], bar_time))
        if events:
            # Announce first, then record: a crash between the two re-announces the same ids.
            await self.bus.publish_many(SIGNAL_GENERATED.name, events)
            self.announced += len(events)
        await self.state.advance(s.ticker, s.interval, [*rows, (HANDLED, "-", bar_time)])
        return len(events)

    async def scan(self, tickers: list[str]) -> dict[str, Any]:
        """The pre-market scan: every ticker's current signals, announcing what changed."""
        iv = Interval(self.signals.interval)
        now = self.clock.now()
        counts = {"buy": 0, "sell": 0, "hold": 0}
        announced, failed, ensemble = 0, [], {}
        for ticker in tickers:
            try:
                s, news = await self.signals.series(
                    ticker, iv.value, now - span(iv, self.signals.settings.history_bars), now)
                announced += await self.announce(s, news)
                if len(s):
                    action = strategies.run_all(s, news)[strategies.ENSEMBLE].at(len(s) - 1)
                    ensemble[ticker] = action["action"]
                    counts[action["action"]] += 1
            except Problem as p:
                failed.append({"ticker": ticker, "detail": p.detail})
        return {"tickers": len(tickers), "ensemble": counts, "announced": announced,
                "buys": sorted(t for t, a in ensemble.items() if a == "buy"),
                "sells": sorted(t for t, a in ensemble.items() if a == "sell"),
                "failed": failed}
