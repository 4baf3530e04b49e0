"""Use cases of the predict context. CPU-bound numerics run in a worker thread so the event
loop keeps serving; every answer is passed through `clean` (no NaN or inf reaches JSON)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import orjson
import pandas as pd

from stockflow.core.ports import Cache, Clock
from stockflow.core.problems import Problem, invalid, not_found
from stockflow.predict import anomaly, batch, correlation, optimise, portfolio, risk, volatility
from stockflow.predict.config import PredictSettings
from stockflow.predict.forecast import MAX_DAYS, ForecastConfig, forecast
from stockflow.predict.jsonsafe import clean
from stockflow.predict.ports import (
    DailyHistory,
    Executor,
    InlineExecutor,
    Prediction,
    PredictionStore,
)
from stockflow.predict.registry import ModelRegistry, ModelVersion
from stockflow.predict.series import DailySeries
from stockflow.predict.var_backtest import backtest as var_backtest
from stockflow.users.ports import Portfolios

PRICE = "price"


def _closes(s: DailySeries) -> pd.Series:
    return pd.Series(s.close, index=pd.DatetimeIndex(s.dates.astype("datetime64[ns]")))


class PredictService:
    def __init__(self, history: DailyHistory, settings: PredictSettings, clock: Clock, *,
                 registry: ModelRegistry | None = None,
                 predictions: PredictionStore | None = None,
                 executor: Executor | None = None,
                 portfolios: Portfolios | None = None,
                 currency_of: Callable[[str], str] | None = None,
                 cache: Cache | None = None) -> None:
        self.history = history
        self.settings = settings
        self.clock = clock
        self.registry = registry
        self.predictions = predictions
        self.executor = executor or InlineExecutor()
        self.portfolios = portfolios
        self.currency_of = currency_of
        self.cache = cache

    @property
    def forecast_config(self) -> ForecastConfig:
        s = self.settings
        return ForecastConfig(s.forecast_origins, s.forecast_step, s.skill_window,
                              s.fit_budget_seconds)

    async def series(self, ticker: str) -> DailySeries:
        s = await self.history.daily(ticker, self.settings.history_days)
        if s is None:
            raise not_found("ticker", ticker)
        return s

    async def many(self, tickers: Sequence[str]) -> dict[str, DailySeries]:
        found = await asyncio.gather(*(self.history.daily(t, self.settings.history_days)
                                       for t in tickers))
        unknown = [t for t, s in zip(tickers, found, strict=True) if s is None]
        if unknown:
            raise Problem(404, "Not Found", f"unknown tickers: {', '.join(unknown)}",
                          unknown=unknown)
        return dict(zip(tickers, found, strict=True))  # type: ignore[arg-type]

    # -- forecasts -----------------------------------------------------------------------

    async def price(self, ticker: str, days: int) -> dict:
        if not 1 <= days <= MAX_DAYS:
            raise invalid(f"days must be between 1 and {MAX_DAYS}, got {days}")
        s = await self.series(ticker)
        entry = await self._fresh(PRICE, ticker)
        if entry is None:
            # The budget is wall time on this machine, whatever clock the platform keeps.
            out = await asyncio.to_thread(forecast, s, days, self.forecast_config,
                                          None, time.monotonic)
            return clean({"ticker": ticker, "source": "fitted on request", **out})
        return await self._registered(ticker, s, days, entry)

    async def _registered(self, ticker: str, s: DailySeries, days: int, entry) -> dict:
        """The registered ensemble refitted on the latest bars. The 7-day path depends only on
        (version, bars), so it is cached until the next bar or version; `days` slices it."""
        key = f"predict:price:{entry.label}:{s.dates[-1]}:{len(s)}"
        cached = await self.cache.get(key) if self.cache is not None else None
        if cached is None:
            stored = await self.stored(entry)
            path, reused = await asyncio.to_thread(batch.refit, s, MAX_DAYS, stored.weights,
                                                   batch.stored_models(stored))
            last = float(s.close[-1])
            rows = clean([{"day": k + 1, "point": path.mean[k], "lo_80": path.lo80[k],
                           "hi_80": path.hi80[k], "lo_95": path.lo95[k], "hi_95": path.hi95[k],
                           "change_pct": (path.mean[k] / last - 1) * 100}
                          for k in range(MAX_DAYS)])
            cached_value = {"rows": rows, "reused": batch.reuse_notes(stored, reused)}
            if self.cache is not None:
                await self.cache.set(key, orjson.dumps(cached_value),
                                     ttl=self.settings.cache_seconds)
        else:
            cached_value = orjson.loads(cached)
        rows, reused = cached_value["rows"], cached_value["reused"]
        m = entry.metrics
        return clean({"ticker": ticker, "source": f"registry {entry.label}",
                      "days": rows[:days], "last_close": float(s.close[-1]), "model": "ensemble",
                      "skill": m["skill"], "mase": m["mase"], "weights": m["weights"],
                      "backtest": m["backtest"], "cached": cached is not None,
                      "fitting": {"used": sorted(k for k, w in m["weights"].items() if w > 0),
                                  "stored_fit_reused": reused,
                                  "refit_on_latest_bars": sorted(
                                      k for k, w in m["weights"].items()
                                      if w > 0 and k not in reused),
                                  "backtest_from": "registry"},
                      "trained_at": entry.trained_at.isoformat(),
                      "data_window": [entry.data_start, entry.data_end],
                      "observations": len(s), "constant_series": s.is_constant,
                      "gaps": s.gaps()})

    async def stored(self, entry: ModelVersion) -> batch.Stored:
        """The registered weights and the model files the version lists (a file that is
        missing or fails its checksum is left out, and that model is refitted instead)."""
        assert self.registry is not None
        files = {}
        for name in entry.files:
            data = await self.registry.file(entry, name)
            if data is not None:
                files[name] = data
        return batch.Stored(entry.metrics["weights"], files, entry.metrics.get("models", {}))

    async def _fresh(self, kind: str, ticker: str):
        if self.registry is None:
            return None
        entry = await self.registry.latest(kind, ticker)
        age = timedelta(hours=self.settings.registry_max_age_hours)
        return entry if entry is not None and entry.fresh(self.clock.now(), age) else None

    async def volatility(self, ticker: str, horizon: int = volatility.MAX_HORIZON) -> dict:
        s = await self.series(ticker)
        out = await asyncio.to_thread(volatility.volatility, s.log_returns, horizon,
                                      s.periods_per_year)
        return clean({"ticker": ticker, **out})

    # -- risk ----------------------------------------------------------------------------

    async def risk(self, ticker: str, benchmark: str | None = None) -> dict:
        s = await self.series(ticker)
        pair = None
        if benchmark:
            b = await self.series(benchmark)
            aligned = correlation.aligned_returns({ticker: _closes(s), benchmark: _closes(b)})
            pair = (aligned[ticker].to_numpy(), aligned[benchmark].to_numpy())
        out = await asyncio.to_thread(self.risk_figures, s, pair)
        out["threshold"] = {"value": self.settings.var_thresholds.get(ticker),
                            "exceeded": self.threshold_exceeded(ticker, out)}
        return clean({"ticker": ticker, "benchmark": benchmark, **out})

    async def risk_summary(self, ticker: str) -> dict:
        """Historical VaR/ES 95 and 99 % one day and the drawdown (see risk.risk_summary)."""
        s = await self.series(ticker)
        return clean({"ticker": ticker, **risk.risk_summary(s.close)})

    def risk_figures(self, s: DailySeries, pair: tuple[np.ndarray, np.ndarray] | None) -> dict:
        out = risk.risk_measures(s.close, s.periods_per_year)
        if pair is not None:             # beta on the dates both traded
            out["beta"] = risk.beta(*pair)
        cfg = self.settings
        r = s.log_returns
        try:
            out["backtests"] = var_backtest(r, min(cfg.var_backtest_days,
                                                   len(r) - cfg.var_window), cfg.var_window)
        except Problem as e:
            out["backtests"] = None
            out["notes"].append(f"no VaR backtest: {e.detail}")
        return out

    def threshold_exceeded(self, ticker: str, answer: dict) -> bool:
        """Whether risk.threshold.exceeded should be published for this risk answer."""
        threshold = self.settings.var_thresholds.get(ticker)
        var99 = answer["var_es"]["historical"]["99"]["1d"]["var"]
        return threshold is not None and var99 is not None and var99 > threshold

    # -- cross-sectional -----------------------------------------------------------------

    async def correlation(self, tickers: Sequence[str], method: str = "pearson",
                          window: int | None = None, rolling_step: int | None = None) -> dict:
        if len(tickers) > correlation.MAX_TICKERS:
            raise invalid(f"at most {correlation.MAX_TICKERS} tickers, got {len(tickers)}")
        data = {t: _closes(s) for t, s in (await self.many(tickers)).items()}
        return clean(await asyncio.to_thread(correlation.correlation, data, method, window,
                                             rolling_step))

    async def portfolio(self, weights: dict[str, float], *, long_only: bool = True,
                        risk_free: float = 0.0, benchmark: str | None = None) -> dict:
        tickers = list(weights) + ([benchmark] if benchmark else [])
        found = await self.many(tickers)
        data = {t: _closes(found[t]) for t in weights}
        bench = _closes(found[benchmark]) if benchmark else None
        return clean(await asyncio.to_thread(portfolio.analyse, data, weights,
                                             long_only=long_only, risk_free=risk_free,
                                             benchmark=bench))

    async def portfolio_weights(self, user_id: str, portfolio_id: str) -> dict[str, float]:
        """Weights of a stored portfolio by market value at the last close (owner only: the
        users context answers 404 for another user's portfolio)."""
        if self.portfolios is None:
            raise Problem(503, "Service Unavailable", "stored portfolios are not available here")
        held = (await self.portfolios.portfolio(user_id, portfolio_id))["positions"]
        if not held:
            raise invalid(f"portfolio {portfolio_id} holds no open position")
        currencies = ({t["ticker"]: self.currency_of(t["ticker"]) for t in held}
                      if self.currency_of else {})
        if len(set(currencies.values())) > 1:
            # The portfolio has no base currency and this context converts none: mixing them
            # would weigh a rupee like a dollar.
            raise invalid("positions are in several currencies "
                          f"({', '.join(sorted(set(currencies.values())))}); give weights")
        found = await self.many([t["ticker"] for t in held])
        value = {t["ticker"]: t["quantity"] * float(found[t["ticker"]].close[-1]) for t in held}
        total = sum(value.values())
        return {t: v / total for t, v in value.items()}

    async def optimise(self, tickers: Sequence[str], objective: str, **options: Any) -> dict:
        data = {t: _closes(s) for t, s in (await self.many(tickers)).items()}
        return clean(await asyncio.to_thread(
            lambda: optimise.optimise(data, objective, **options)))

    async def anomalies(self, ticker: str) -> dict:
        s = await self.series(ticker)
        cfg = self.settings
        out = await asyncio.to_thread(anomaly.detect, s, cfg.anomaly_contamination,
                                      cfg.anomaly_z_threshold)
        return clean({"ticker": ticker, **out})

    async def latest_anomaly(self, ticker: str) -> dict | None:
        """The newest stored bar, scored by a model fitted on the bars before it."""
        s = await self.series(ticker)
        return await self.bar_anomaly(ticker, s.window(len(s) - 1, len(s)), s)

    async def bar_anomaly(self, ticker: str, bar: DailySeries,
                          history: DailySeries | None = None) -> dict | None:
        history = history if history is not None else await self.series(ticker)
        cfg = self.settings
        row = await asyncio.to_thread(anomaly.check_bar, history, bar,
                                      cfg.anomaly_contamination, cfg.anomaly_z_threshold)
        return None if row is None else clean(row)

    # -- lifecycle -----------------------------------------------------------------------

    async def train(self, tickers: Sequence[str]) -> list[str]:
        """Weekly: backtest every ticker on the executor and register the results."""
        if self.registry is None:
            raise RuntimeError("training needs a model registry")
        found = await self.many(tickers)
        jobs = [batch.Job(t, s, self.forecast_config) for t, s in found.items()]
        results = await self.executor.map(batch.train, jobs)
        labels = []
        for job, trained in zip(jobs, results, strict=True):
            s = job.series
            entry = await self.registry.register(
                PRICE, job.ticker, b"", metrics=trained.metrics, data_start=str(s.dates[0]),
                data_end=str(s.dates[-1]), observations=len(s), files=trained.files)
            labels.append(entry.label)
        return labels

    async def predict_all(self, tickers: Sequence[str]) -> list[Prediction]:
        """Daily: predictions for every ticker with a registered model, stored if a store is set."""
        if self.registry is None:
            raise RuntimeError("batch predictions need a model registry")
        found = await self.many(tickers)
        entries = {t: await self.registry.latest(PRICE, t) for t in found}
        age = timedelta(hours=self.settings.registry_max_age_hours)
        now = self.clock.now()
        # A stale version's weights still serve (training is late, not wrong), but its booster
        # is not reused: it is fitted again on the latest bars, like the other models.
        jobs = [(batch.Job(t, found[t], self.forecast_config),
                 await self.stored(e) if e.fresh(now, age)
                 else batch.Stored(e.metrics["weights"], {}, {}))
                for t, e in entries.items() if e is not None]
        rows = await self.executor.map(batch.predict, jobs)
        now = self.clock.now()
        out = [Prediction(r["ticker"], r["kind"], r["horizon"], r["value"], r["lower"],
                          r["upper"], entries[r["ticker"]].label, batch.FEATURES, now)
               for per_ticker in rows for r in per_ticker]
        if self.predictions is not None:
            await self.predictions.save(out)
        return out
