"""Signals at bar close: a closed bar announces each strategy whose action changed, once; a
redelivered or late bar announces nothing; event ids are the same for the same signal."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import talib

from stockflow.core import registry
from stockflow.core.catalogue import BAR_CLOSED, SIGNAL_GENERATED
from stockflow.signals.config import SignalsSettings
from stockflow.signals.handlers import handlers, sentiment_rows
from stockflow.signals.live import LiveSignals, signal_id
from stockflow.signals.repository import (
    SqlSentimentStore,
    SqlSignalState,
    SqlStrategyStore,
)
from stockflow.signals.service import SignalService
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.unit.signals.support import MemoryMarket, bar_event, transition_bar

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def world(db, tickers=("AAA",), n=400):
    market = MemoryMarket(dict.fromkeys(tickers, n))
    full = {t: list(market._bars[t]) for t in tickers}
    svc = SignalService(market, SqlSentimentStore(db), SqlStrategyStore(db), SignalsSettings(),
                        FakeClock(NOW))
    bus = registry.build("bus", "memory://")
    return market, full, svc, bus


async def test_a_closed_bar_announces_the_strategies_that_changed_once(db):
    market, full, svc, bus = world(db)
    k = transition_bar(market, "AAA", "trend")
    market._bars["AAA"] = full["AAA"][:k]            # stored: the bars before the one closing
    captured = EventCapture()
    bus.subscribe(SIGNAL_GENERATED.name, "test", captured)
    live = LiveSignals(svc, SqlSignalState(db), bus, FakeClock(NOW))
    await bus.start()
    try:
        bar = full["AAA"][k]
        event = BAR_CLOSED.event(bar_event(bar), key="AAA")
        spec = next(h for h in handlers(live, SqlSentimentStore(db))
                    if h.topic is BAR_CLOSED)
        await spec.handler(event)
        await bus.drain()
        got = {e.data["strategy"]: e for e in captured.events}
        trend = got["trend"]
        # Checked against TA-Lib directly: EMA(20) crossed SMA(50) at this bar.
        close = np.array([b.close for b in full["AAA"][:k + 1]])
        side = np.sign(talib.EMA(close, 20) - talib.SMA(close, 50))
        assert side[-1] != side[-2]
        assert trend.data["action"] == ("buy" if side[-1] > 0 else "sell")
        assert trend.data["previous_action"] == ("sell" if side[-1] > 0 else "buy")
        assert trend.data["bar_time"] == bar.time.isoformat() and trend.key == "AAA"
        assert trend.id == signal_id("AAA", "trend", "1d", bar.time)
        SIGNAL_GENERATED.validate(trend)

        before = len(captured.events)
        await spec.handler(event)                      # redelivered
        await spec.handler(BAR_CLOSED.event(bar_event(full["AAA"][k - 3]), key="AAA"))  # late
        await bus.drain()
        assert len(captured.events) == before
        assert live.announced == before
    finally:
        await bus.stop()


async def test_a_bar_that_changes_nothing_announces_nothing(db):
    market, full, svc, bus = world(db)
    k = transition_bar(market, "AAA", "trend")
    # The bar after a change: find one where no strategy changes.
    live = LiveSignals(svc, SqlSignalState(db), bus, FakeClock(NOW))
    await bus.start()
    try:
        from stockflow.signals.domain import Sentiment, Series
        from stockflow.signals.strategies import run_all

        s = Series.of("AAA", "1d", full["AAA"][1].time - full["AAA"][0].time, full["AAA"])
        tracks = run_all(s, Sentiment.empty())
        quiet = next(i for i in range(k + 1, len(s))
                     if all(t.action[i] == t.action[i - 1] for t in tracks.values()))
        market._bars["AAA"] = full["AAA"][:quiet]
        assert await live.on_bar(BAR_CLOSED.validate(
            BAR_CLOSED.event(bar_event(full["AAA"][quiet])))) == 0
    finally:
        await bus.stop()


def test_sentiment_rows_take_each_named_ticker_from_the_event():
    event = BAR_CLOSED.event({})
    event.data = {"article_id": "a1", "ticker": "AAPL", "score": 0.5, "confidence": 0.9,
                  "tickers": {"MSFT": {"score": -0.4, "confidence": 0.7}}}
    rows = sentiment_rows(event)
    assert {(r["ticker"], r["score"]) for r in rows} == {("AAPL", 0.5), ("MSFT", -0.4)}
    assert all(r["at"] == event.time and r["article_id"] == "a1" for r in rows)
    event.data = {"article_id": "a2", "ticker": "AAPL", "score": None, "tickers": {}}
    assert sentiment_rows(event) == []


async def test_stored_sentiment_is_read_back_for_its_window(db):
    store = SqlSentimentStore(db)
    at = [datetime(2024, 1, d, 12, tzinfo=UTC) for d in (1, 2, 3)]
    await store.add([{"article_id": f"a{i}", "ticker": "AAA", "at": t, "score": 0.1 * i,
                      "confidence": 0.5} for i, t in enumerate(at)])
    await store.add([{"article_id": "a0", "ticker": "AAA", "at": at[0], "score": 0.9,
                      "confidence": 0.5}])              # redelivered: ignored
    got = await store.between("AAA", at[0], at[2])
    assert got.score.tolist() == [0.0, 0.1]
    assert got.at[0] == np.datetime64("2024-01-01T12:00:00", "us")
