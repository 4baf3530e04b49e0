"""Risk: VaR/ES by four methods, drawdowns, and the VaR backtests' statistics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from stockflow.core.problems import Problem
from stockflow.predict import risk
from stockflow.predict.jsonsafe import clean
from stockflow.predict.var_backtest import (
    METHODS,
    backtest,
    christoffersen,
    fhs_forecasts,
    kupiec,
    rolling_var,
    traffic_light,
)
from stockflow.testing.simulated_truth import returns_and_variance

returns_lists = st.lists(st.floats(-0.2, 0.2, allow_nan=False), min_size=100, max_size=400)


@settings(max_examples=50, deadline=None)
@given(returns_lists)
def test_historical_var_99_is_the_empirical_quantile(values) -> None:
    r = np.array(values)
    var, es = risk.historical(r, 0.99)
    assert var == pytest.approx(-np.quantile(r, 0.01), abs=1e-15)
    assert es >= var - 1e-15          # the tail mean is at least as bad as its edge


@pytest.mark.parametrize(("x", "n", "level"), [(0, 250, 0.99), (2, 250, 0.99), (5, 250, 0.99),
                                               (12, 250, 0.95), (30, 500, 0.95), (250, 250, 0.99)])
def test_kupiec_matches_its_formula(x, n, level) -> None:
    p, phat = 1 - level, x / n
    null = (n - x) * math.log(1 - p) + x * math.log(p)
    alt = ((n - x) * math.log(1 - phat) if x < n else 0.0) + (x * math.log(phat) if x else 0.0)
    expected = -2 * (null - alt)
    got = kupiec(x, n, level)
    assert got["statistic"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert got["p_value"] == pytest.approx(stats.chi2.sf(expected, 1))


def test_kupiec_is_zero_at_the_expected_count() -> None:
    assert kupiec(5, 500, 0.99)["statistic"] == pytest.approx(0.0, abs=1e-12)


def test_christoffersen_flags_clustered_breaches() -> None:
    spread = np.zeros(250, int)
    spread[::50] = 1                          # 5 breaches, far apart
    clustered = np.zeros(250, int)
    clustered[100:105] = 1                    # the same 5, in a row
    a, b = christoffersen(spread, 0.99), christoffersen(clustered, 0.99)
    assert b["independence"]["p_value"] < 0.01 < a["independence"]["p_value"]
    assert b["transitions"] == {"n00": 243, "n01": 1, "n10": 1, "n11": 4}  # 249 steps
    cc = kupiec(5, 250, 0.99)["statistic"] + b["independence"]["statistic"]
    assert b["conditional_coverage"]["statistic"] == pytest.approx(cc)


def test_basel_traffic_light_zones_for_250_days() -> None:
    zones = [traffic_light(x, 250, 0.99) for x in range(12)]
    assert zones == ["green"] * 5 + ["yellow"] * 5 + ["red"] * 2


def test_normal_var_is_the_closed_form() -> None:
    r = np.random.default_rng(1).normal(0.001, 0.02, 1000)
    var, es = risk.normal(r, 0.99, 10)
    mu, sd = r.mean() * 10, r.std(ddof=1) * math.sqrt(10)
    assert var == pytest.approx(-(mu + stats.norm.ppf(0.01) * sd))
    assert es == pytest.approx(-(mu - sd * stats.norm.pdf(stats.norm.ppf(0.01)) / 0.01))


def test_cornish_fisher_is_normal_for_a_symmetric_mesokurtic_sample() -> None:
    r = stats.norm.ppf((np.arange(5000) + 0.5) / 5000) * 0.01   # skew 0, excess kurtosis ~0
    assert risk.cornish_fisher(r, 0.99)[0] == pytest.approx(risk.normal(r, 0.99)[0], rel=0.01)


def test_drawdown_peak_trough_and_duration() -> None:
    c = np.array([100, 110, 120, 90, 60, 80, 125, 130, 100.0])
    dd = risk.drawdown(c)
    assert dd["max_drawdown"] == pytest.approx(0.5)
    assert (dd["peak_index"], dd["trough_index"], dd["recovery_index"]) == (2, 4, 6)
    assert dd["duration_bars"] == 4 and dd["recovered"]
    never = risk.drawdown(np.array([100, 50, 60.0]))
    assert never["recovery_index"] is None and never["duration_bars"] == 2


def test_downside_deviation_and_beta() -> None:
    r = np.array([0.02, -0.01, 0.03, -0.02])
    assert risk.downside_deviation(r) == pytest.approx(math.sqrt((0.01**2 + 0.02**2) / 4))
    b = np.random.default_rng(2).normal(0, 0.01, 300)
    assert risk.beta(1.5 * b + 0.0001, b) == pytest.approx(1.5)
    assert risk.beta(b, np.zeros(300)) is None


def test_risk_measures_on_the_simulated_market_are_json_clean() -> None:
    r, _ = returns_and_variance("JPM", 2021, 2023)
    c = 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    out = clean(risk.risk_measures(c))
    json.dumps(out, allow_nan=False)
    table = out["var_es"]
    assert set(table) == {"historical", "normal", "cornish_fisher", "fhs_monte_carlo"}
    for method in table.values():
        for h in ("1d", "10d"):
            assert method["99"][h]["var"] > method["95"][h]["var"] > 0
            assert method["99"][h]["es"] >= method["99"][h]["var"]
        assert method["99"]["10d"]["var"] > method["99"]["1d"]["var"]


def test_the_summary_is_the_full_answers_historical_one_day_rows_and_drawdown() -> None:
    r, _ = returns_and_variance("KO", 2021, 2023)
    c = 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    full, summary = clean(risk.risk_measures(c)), clean(risk.risk_summary(c))
    for level in ("95", "99"):
        assert summary["var_es"]["historical"][level]["1d"] == \
            full["var_es"]["historical"][level]["1d"]
    assert summary["drawdown"] == full["drawdown"] and summary["observations"] == len(c)
    with pytest.raises(Problem) as e:
        risk.risk_summary(np.linspace(1, 2, 50))
    assert e.value.status == 422


def test_constant_series_and_too_few_observations() -> None:
    out = clean(risk.risk_measures(np.full(200, 7.0)))
    json.dumps(out, allow_nan=False)
    assert "fhs_monte_carlo" not in out["var_es"] and out["drawdown"]["max_drawdown"] == 0
    with pytest.raises(Problem) as e:
        risk.risk_measures(np.linspace(1, 2, 50))
    assert e.value.status == 422 and "at least 101" in e.value.detail


def test_backtest_of_every_method_on_the_simulated_market() -> None:
    r, _ = returns_and_variance("AAPL", 2019, 2023)
    out = clean(backtest(r, days=250, window=250))
    json.dumps(out, allow_nan=False)
    assert set(out["methods"]) == {"historical", "normal", "cornish_fisher", "fhs"}
    for levels in out["methods"].values():
        for key, s in levels.items():
            assert s["days"] == 250 and 0 <= s["breaches"] <= 250
            assert s["expected"] == pytest.approx(250 * (1 - int(key) / 100))
            assert s["traffic_light"] in {"green", "yellow", "red"}
    # The simulated market is GARCH: the filtered simulation should not land in the red zone.
    assert out["methods"]["fhs"]["99"]["traffic_light"] != "red"
    with pytest.raises(Problem):
        backtest(r[:300], days=250, window=250)


def test_backtest_var_uses_only_the_past() -> None:
    r, _ = returns_and_variance("KO", 2020, 2023)
    shocked = r.copy()
    shocked[-1] = -0.5                        # the last day's crash must not move its own VaR
    for level in (0.95, 0.99):
        for fn in METHODS.values():
            np.testing.assert_array_equal(rolling_var(r, 100, 250, fn, level),
                                          rolling_var(shocked, 100, 250, fn, level))
        np.testing.assert_allclose(fhs_forecasts(r, 100, 250, level),
                                   fhs_forecasts(shocked, 100, 250, level))
    a = backtest(r, days=100, window=250, with_fhs=False)["methods"]["historical"]["99"]
    b = backtest(shocked, days=100, window=250, with_fhs=False)["methods"]["historical"]["99"]
    last_hit = r[-1] < -rolling_var(r, 100, 250, METHODS["historical"], 0.99)[-1]
    assert b["breaches"] == a["breaches"] + (0 if last_hit else 1)
