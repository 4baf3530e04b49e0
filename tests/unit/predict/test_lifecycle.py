"""The model lifecycle and the live-bar handler over the in-memory bus and cache: training
registers, the batch stores, caches and publishes, a VaR threshold is announced on its
crossing only, and unusual bars are published from the batch and from live bars."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from stockflow.adapters.bus.memory import make_bus
from stockflow.adapters.cache.memory import make_cache
from stockflow.core.catalogue import (
    ANOMALY_DETECTED,
    BAR_CLOSED,
    MARKET_ANOMALY,
    PREDICTION_GENERATED,
    RISK_THRESHOLD,
)
from stockflow.predict.config import PredictSettings
from stockflow.predict.handlers import LiveBars, handlers
from stockflow.predict.lifecycle import BATCH_KEY, FEATURES_KEY, Lifecycle
from stockflow.predict.ports import InMemoryHistory, InMemoryObjectStore, InMemoryPredictions
from stockflow.predict.registry import ModelRegistry
from stockflow.predict.series import DailySeries
from stockflow.predict.service import PredictService
from stockflow.testing.fakes import EventCapture, FakeClock

TOPICS = (PREDICTION_GENERATED, RISK_THRESHOLD, ANOMALY_DETECTED, MARKET_ANOMALY)


def _settings(**kw) -> PredictSettings:
    return PredictSettings(forecast_origins=3, forecast_step=7, history_days=600,
                           var_backtest_days=60, **kw)


@pytest.fixture
async def world(history):
    clock = FakeClock()
    bus, cache, seen = make_bus("memory://"), make_cache("memory://"), EventCapture()
    for topic in TOPICS:
        bus.subscribe(topic.name, "test", seen)
    await bus.start()
    predictions = InMemoryPredictions()
    service = PredictService(history, _settings(var_thresholds={"BTC-USD": 0.001}), clock,
                             registry=ModelRegistry(InMemoryObjectStore(), clock),
                             predictions=predictions)
    lifecycle = Lifecycle(service, bus, cache, lambda: ["AAPL", "BTC-USD"])
    yield lifecycle, bus, cache, seen, predictions
    await bus.stop()


async def test_training_then_batch_stores_caches_and_publishes(world) -> None:
    lifecycle, bus, cache, seen, predictions = world
    assert (await lifecycle.batch())["untrained"] == ["AAPL", "BTC-USD"]   # nothing registered
    assert await lifecycle.train() == {"registered": 2}
    stats = await lifecycle.batch()
    await bus.drain()
    assert stats["predicted"] == 2 and stats["untrained"] == []
    stored = await predictions.latest("AAPL", "price")
    assert [p.horizon for p in stored] == list(range(1, 8))
    assert stored[0].model_version == "price/AAPL/v1"
    cached = orjson.loads(await cache.get(BATCH_KEY.format(ticker="AAPL")))
    assert [r["value"] for r in cached if r["kind"] == "price"] == [p.value for p in stored]
    events = seen.of_type(PREDICTION_GENERATED.name)
    assert sorted(e.key for e in events) == ["AAPL", "BTC-USD"]
    assert len(events[0].data["predictions"]) == 14          # 7 price and 7 volatility rows


async def test_threshold_is_published_when_crossed_not_while_above(world) -> None:
    lifecycle, bus, _, seen, _ = world
    assert await lifecycle.thresholds() == ["BTC-USD"]           # 99 % VaR far above 0.1 %
    assert await lifecycle.thresholds() == []                    # still above: no repeat
    lifecycle.service.settings.var_thresholds["BTC-USD"] = 0.99   # back below
    assert await lifecycle.thresholds() == []
    lifecycle.service.settings.var_thresholds["BTC-USD"] = 0.001  # crosses again
    assert await lifecycle.thresholds() == ["BTC-USD"]
    await bus.drain()
    events = seen.of_type(RISK_THRESHOLD.name)
    assert len(events) == 2 and events[0].data["threshold"] == 0.001
    assert events[0].data["var"] > 0.001


def _with_last_close(s: DailySeries, factor: float) -> DailySeries:
    close = s.close.copy()
    close[-1] = close[-2] * factor
    high, low = np.maximum(s.high, close), np.minimum(s.low, close)
    return DailySeries(s.dates, close, s.open, high, low, s.volume)


async def test_a_jump_in_the_latest_bar_is_published_by_the_batch(world, history) -> None:
    lifecycle, bus, _, seen, _ = world
    jumped = InMemoryHistory({**history.series,
                              "AAPL": _with_last_close(history.series["AAPL"], 1.35)})
    lifecycle.service.history = jumped
    assert await lifecycle.anomalies(["AAPL"]) == ["AAPL"]
    await bus.drain()
    [event] = seen.of_type(ANOMALY_DETECTED.name)
    assert event.data["source"] == "daily batch" and event.data["robust_z"]["return"] > 5


async def test_features_are_cached_per_ticker(world) -> None:
    lifecycle, _, cache, _, _ = world
    assert (await lifecycle.features())["tickers"] == 2
    row = orjson.loads(await cache.get(FEATURES_KEY.format(ticker="AAPL")))
    assert set(row["robust_z"]) == {"return", "range", "gap", "volume"}


def _bar(ticker: str, s: DailySeries, close: float, interval: str = "1d") -> dict:
    day = (s.dates[-1] + np.timedelta64(1, "D")).astype(object)
    last = float(s.close[-1])
    return {"ticker": ticker, "interval": interval, "time": f"{day}T00:00:00+00:00",
            "open": last, "high": max(last, close) * 1.002, "low": min(last, close) * 0.998,
            "close": close, "volume": float(np.median(s.volume[-20:]))}


async def test_live_daily_bars_are_scored_against_the_bars_before_them(history) -> None:
    clock = FakeClock()
    bus, seen = make_bus("memory://"), EventCapture()
    bus.subscribe(MARKET_ANOMALY.name, "test", seen)
    await bus.start()
    live = LiveBars(PredictService(history, _settings(), clock), bus)
    [spec] = handlers(live)
    assert spec.topic is BAR_CLOSED and spec.idempotency == "event-id"
    s = history.series["MSFT"]
    last = float(s.close[-1])
    await live.on_bar(BAR_CLOSED.event(_bar("MSFT", s, last * 1.001), key="MSFT"))
    await live.on_bar(BAR_CLOSED.event(_bar("MSFT", s, last * 0.70), key="MSFT"))
    await live.on_bar(BAR_CLOSED.event(_bar("MSFT", s, last * 0.5, "1m"), key="MSFT"))
    await live.on_bar(BAR_CLOSED.event(_bar("NOPE", s, last), key="NOPE"))
    await bus.drain()
    await bus.stop()
    assert live.checked == 2                     # the minute bar and the unknown are skipped
    [event] = seen.of_type(MARKET_ANOMALY.name)
    assert event.key == "MSFT" and event.data["source"] == "live bar"
    assert event.data["robust_z"]["return"] < -5
