"""Price forecasts: honest backtests, no look-ahead, a budget that says what it used."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from stockflow.core.problems import Problem
from stockflow.predict import backtest as bt
from stockflow.predict.forecast import ForecastConfig, default_models, forecast
from stockflow.predict.jsonsafe import clean
from stockflow.predict.models import select, specified, statsforecast_models
from stockflow.predict.series import make_series

from .conftest import walk

FAST = ForecastConfig(origins=6, step=7, budget_seconds=1e9)


def _no_nan(obj) -> None:
    text = json.dumps(obj, allow_nan=False)   # raises on NaN or inf
    assert "NaN" not in text


def test_no_future_data_reaches_any_fit() -> None:
    s = walk(220)
    origins = bt.Origins.plan(len(s), 7, 6, 7, 3)
    cut = int(origins.cuts[3])
    # Same bars up to `cut`, a different future after it.
    c2 = s.close.copy()
    c2[cut:] *= np.exp(np.cumsum(np.full(len(c2) - cut, 0.05)))
    s2 = make_series(c2, dates=s.dates, open=np.minimum(s.open, c2), high=np.maximum(s.high, c2),
                     low=np.minimum(s.low, c2), volume=s.volume)
    for model in default_models():
        a, b = bt.run(model, s, origins), bt.run(model, s2, origins)
        for i in range(4):        # origins at or before the cut saw identical history
            np.testing.assert_allclose(a.paths[i].mean, b.paths[i].mean, err_msg=model.name)
            np.testing.assert_allclose(a.paths[i].hi95, b.paths[i].hi95, err_msg=model.name)
        assert not np.allclose(a.actual[-1], b.actual[-1])


def test_answer_has_days_intervals_and_backtest_per_model(series) -> None:
    out = forecast(series, 5, FAST)
    _no_nan(clean(out))
    assert [d["day"] for d in out["days"]] == [1, 2, 3, 4, 5]
    for d in out["days"]:
        assert d["lo_95"] <= d["lo_80"] <= d["point"] <= d["hi_80"] <= d["hi_95"]
    names = [r["model"] for r in out["backtest"]]
    assert names == ["naive", "drift", "theta", "ets", "arima", "lightgbm", "ensemble"]
    naive = out["backtest"][0]
    assert naive["mase"] == 1.0 and naive["origins"] == 6
    assert all(0.0 <= r["coverage_80"] <= r["coverage_95"] <= 1.0 for r in out["backtest"])
    assert math.isclose(sum(out["weights"].values()), 1.0)


def test_random_walk_is_not_beaten_and_says_so() -> None:
    out = forecast(walk(260, seed=11), 7, FAST)
    assert (out["skill"] == "none") == (out["mase"] >= 1.0)


def test_a_strong_trend_is_skill() -> None:
    out = forecast(walk(260, seed=5, drift=0.01, vol=0.002), 7, FAST)
    drift = next(r for r in out["backtest"] if r["model"] == "drift")
    assert drift["mase"] < 0.5
    assert out["skill"] == "some" and out["mase"] < 1.0


@pytest.mark.parametrize("days", [0, 8, -1])
def test_horizon_outside_one_to_seven_is_422(series, days) -> None:
    with pytest.raises(Problem) as e:
        forecast(series, days, FAST)
    assert e.value.status == 422


def test_too_few_observations_says_how_many_are_needed() -> None:
    with pytest.raises(Problem) as e:
        forecast(walk(12), 3, FAST)
    assert e.value.status == 422
    needed = e.value.extra["errors"][0]["needed"]
    assert f"at least {needed}" in e.value.detail
    forecast(walk(needed), 3, ForecastConfig(origins=3, step=7))   # exactly enough works


def test_short_series_skips_models_that_need_more_and_says_why() -> None:
    out = forecast(walk(60), 3, ForecastConfig(origins=3, step=7))
    skipped = {x["model"]: x["reason"] for x in out["fitting"]["skipped"]}
    assert "lightgbm" in skipped and "needs" in skipped["lightgbm"]
    assert "lightgbm" not in out["weights"]


def test_constant_series_answers_without_nan() -> None:
    s = make_series(np.full(120, 50.0), volume=np.full(120, 100.0))
    out = clean(forecast(s, 7, FAST))
    _no_nan(out)
    assert out["constant_series"] is True
    assert all(d["point"] == 50.0 and d["lo_95"] == 50.0 for d in out["days"])
    assert out["skill"] == "none"


def test_gaps_and_missing_closes_are_dropped_not_filled(series) -> None:
    c = series.close.copy()
    c[50:55] = np.nan                         # a week-long halt
    dates = series.dates.copy()
    s = make_series(c, dates=dates, open=series.open, high=series.high, low=series.low,
                    volume=series.volume)
    assert len(s) == len(series) - 5 and s.gaps() == 1
    out = forecast(s, 2, FAST)
    assert out["gaps"] == 1
    _no_nan(clean(out))


def test_time_budget_stops_fitting_and_says_what_was_used(series) -> None:
    ticks = itertools.count(0.0, 10.0)        # every look at the clock: 10 more seconds
    out = forecast(series, 3, ForecastConfig(origins=4, step=7, budget_seconds=25.0),
                   monotonic=lambda: next(ticks))
    used = out["fitting"]["used"]
    assert used[0] == "naive" and 1 < len(used) < 6
    assert {x["model"] for x in out["fitting"]["skipped"]} | set(used) == {
        "naive", "drift", "theta", "ets", "arima", "lightgbm"}
    assert all(x["reason"] == "time budget spent" for x in out["fitting"]["skipped"])


@pytest.mark.parametrize("name", ["arima", "ets"])
def test_registered_selection_forecasts_as_the_search_did(name) -> None:
    """Training registers what AutoARIMA / AutoETS selected; re-estimating only that model on
    the same bars gives the search's own forecast, and on newer bars keeps the order."""
    s = walk(500, drift=0.0005)
    spec = select(name, s)
    assert spec is not None
    searched = {m.name: m for m in statsforecast_models()}[name].forecast(s, 7)
    fixed = specified(name, spec).forecast(s, 7)
    for field in ("mean", "lo80", "hi80", "lo95", "hi95"):
        np.testing.assert_allclose(getattr(fixed, field), getattr(searched, field), rtol=1e-9)
    assert select(name, make_series(np.full(100, 5.0))) is None
