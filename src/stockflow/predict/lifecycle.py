"""The model lifecycle the scheduler drives (seed 002 §5): hourly features, weekly training,
the daily batch after the close. Each step says what it did in its stats; the batch stores its
predictions, caches them per ticker and publishes what it found on the bus."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from stockflow.core.catalogue import ANOMALY_DETECTED, PREDICTION_GENERATED, RISK_THRESHOLD
from stockflow.core.events import Event
from stockflow.core.jobs import JobSkipped
from stockflow.core.ports import Cache, EventBus
from stockflow.core.problems import Problem
from stockflow.predict import anomaly
from stockflow.predict.jsonsafe import clean
from stockflow.predict.ports import Prediction
from stockflow.predict.service import PredictService

BATCH_KEY = "predict:batch:{ticker}"
FEATURES_KEY = "predict:features:{ticker}"
STATE_KEY = "predict:var-exceeded:{ticker}"
DAY = 86_400.0


def prediction_wire(p: Prediction) -> dict[str, Any]:
    return {"ticker": p.ticker, "kind": p.kind, "horizon": p.horizon, "value": p.value,
            "lower": p.lower, "upper": p.upper, "model_version": p.model_version,
            "features": list(p.features), "generated_at": p.generated_at.isoformat()}


class Lifecycle:
    def __init__(self, service: PredictService, bus: EventBus, cache: Cache,
                 universe: Callable[[], Sequence[str]]) -> None:
        self.service = service
        self.bus = bus
        self.cache = cache
        self.universe = universe

    def _tickers(self) -> list[str]:
        tickers = list(self.universe())
        if not tickers:
            raise JobSkipped("the universe is empty")
        return tickers

    async def features(self) -> dict[str, Any]:
        """Hourly: the latest bar's anomaly features and robust z-scores per ticker, cached for
        an hour's consumers (the live-bar check compares a new bar against them)."""
        done, short = 0, []
        for ticker in self._tickers():
            s = await self.service.series(ticker)
            if len(s) < anomaly.MIN_BARS:
                short.append(ticker)
                continue
            row = await asyncio.to_thread(anomaly.latest_features, s)
            await self.cache.set(FEATURES_KEY.format(ticker=ticker), orjson.dumps(clean(row)),
                                 ttl=2 * 3600.0)
            done += 1
        return {"tickers": done, "too_short": short}

    async def train(self) -> dict[str, Any]:
        """Weekly: backtest every ticker on the executor and register the weights."""
        labels = await self.service.train(self._tickers())
        return {"registered": len(labels)}

    async def batch(self) -> dict[str, Any]:
        """Daily after the close: predictions stored, cached and published; VaR thresholds and
        the latest bar's anomalies checked and published."""
        tickers = self._tickers()
        rows = await self.service.predict_all(tickers)
        by_ticker: dict[str, list[Prediction]] = {}
        for p in rows:
            by_ticker.setdefault(p.ticker, []).append(p)
        # The closes the forecasts start from: consumers compare moves, not price levels.
        closes = {t: float(s.close[-1])
                  for t, s in (await self.service.many(list(by_ticker))).items()}
        events = []
        for ticker, mine in by_ticker.items():
            wire = [prediction_wire(p) for p in mine]
            await self.cache.set(BATCH_KEY.format(ticker=ticker), orjson.dumps(wire), ttl=DAY)
            events.append(PREDICTION_GENERATED.event(
                {"ticker": ticker, "model_version": mine[0].model_version,
                 "generated_at": wire[0]["generated_at"], "predictions": wire,
                 **forecast_moves(mine, closes.get(ticker))}, key=ticker))
        await self.bus.publish_many(PREDICTION_GENERATED.name, events)
        breached = await self.thresholds()
        unusual = await self.anomalies(tickers)
        return {"predicted": len(by_ticker), "rows": len(rows),
                "untrained": sorted(set(tickers) - set(by_ticker)),
                "thresholds_crossed": breached, "anomalies": unusual}

    async def thresholds(self) -> list[str]:
        """risk.threshold.exceeded when a configured ticker's 99 % VaR crosses above its
        threshold: published on the crossing, not again each day it stays above."""
        crossed = []
        for ticker in self.service.settings.var_thresholds:
            try:
                answer = await self.service.risk(ticker)
            except Problem:
                continue                  # unknown or too short: the API says why on request
            key = STATE_KEY.format(ticker=ticker)
            now = answer["threshold"]["exceeded"]
            was = await self.cache.get(key) == b"1"
            await self.cache.set(key, b"1" if now else b"0", ttl=30 * DAY)
            if now and not was:
                crossed.append(ticker)
                await self.bus.publish(RISK_THRESHOLD.name, RISK_THRESHOLD.event(
                    threshold_event(ticker, answer), key=ticker))
        return crossed

    async def anomalies(self, tickers: Sequence[str]) -> list[str]:
        """anomaly.detected for each ticker whose latest daily bar is unusual."""
        found: list[Event] = []
        for ticker in tickers:
            try:
                row = await self.service.latest_anomaly(ticker)
            except Problem:
                continue
            if row is not None:
                found.append(ANOMALY_DETECTED.event({"ticker": ticker, "source": "daily batch",
                                                     **row}, key=ticker))
        await self.bus.publish_many(ANOMALY_DETECTED.name, found)
        return [e.key or "" for e in found]


def forecast_moves(mine: Sequence[Prediction], last_close: float | None) -> dict[str, Any]:
    """Percent moves of the price forecasts from the last close, by horizon ("1d" …); the next
    day's also as `forecast_move_pct`. A forecast without a value has no move (left out)."""
    if last_close is None or not last_close > 0:
        return {}
    moves = {f"{p.horizon}d": (p.value / last_close - 1.0) * 100.0 for p in mine
             if p.kind == "price" and p.value is not None and math.isfinite(p.value)}
    out: dict[str, Any] = {"last_close": last_close, "horizon": "1d",
                           "forecast_move_pct_by_horizon": moves}
    if "1d" in moves:
        out["forecast_move_pct"] = moves["1d"]
    return out


def threshold_event(ticker: str, answer: dict[str, Any]) -> dict[str, Any]:
    var = answer["var_es"]["historical"]["99"]["1d"]["var"]
    return {"ticker": ticker, "measure": "historical VaR 99% 1d", "horizon": "1d", "var": var,
            "var_pct": var * 100.0, "threshold": answer["threshold"]["value"]}
