"""Volatility: arch's own parameters, RiskMetrics EWMA, and GARCH tracking a known variance."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from stockflow.core.problems import Problem
from stockflow.predict.jsonsafe import clean
from stockflow.predict.volatility import (
    ewma_variance,
    fit_garch,
    half_life,
    tracking,
    volatility,
)
from stockflow.testing.simulated_truth import returns_and_variance


@pytest.fixture(scope="module")
def returns() -> np.ndarray:
    r, _ = returns_and_variance("MSFT", 2019, 2023)
    return r


@pytest.mark.parametrize(("kind", "spec"), [("garch", {"vol": "GARCH", "p": 1, "q": 1}),
                                            ("egarch", {"vol": "EGARCH", "p": 1, "o": 1, "q": 1})])
def test_params_equal_arch_own_fit(returns, kind, spec) -> None:
    golden = arch_model(returns * 100, mean="Constant", dist="t", **spec).fit(disp="off")
    ours = fit_garch(returns, kind).params
    assert list(ours) == list(golden.params.index)
    np.testing.assert_allclose(list(ours.values()), golden.params.values, rtol=1e-6)


def test_answer_has_thirty_days_daily_and_annualised(returns) -> None:
    out = volatility(returns, 30, periods=252)
    json.dumps(clean(out), allow_nan=False)
    g = out["models"]["garch"]
    assert [row["day"] for row in g["forecast"]] == list(range(1, 31))
    for row in g["forecast"]:
        assert math.isclose(row["annualised"], row["daily"] * math.sqrt(252))
    p = g["params"]
    assert math.isclose(g["persistence"], p["alpha[1]"] + p["beta[1]"])
    assert math.isclose(g["half_life_days"], math.log(0.5) / math.log(g["persistence"]))
    # Multi-step GARCH variance reverts toward ω / (1 − α − β) (percent units → return units).
    long_run = p["omega"] / (1 - g["persistence"]) / 1e4
    first, last = g["forecast"][0]["daily"] ** 2, g["forecast"][-1]["daily"] ** 2
    assert abs(last - long_run) < abs(first - long_run) or math.isclose(first, long_run)
    assert set(out["models"]) == {"garch", "egarch", "ewma"}
    assert out["realised"]["21d"]["daily"] == pytest.approx(np.std(returns[-21:], ddof=1))


def test_ewma_is_the_riskmetrics_recursion(returns) -> None:
    ours = ewma_variance(returns, 0.94)
    sq = pd.Series(np.concatenate([[np.mean(returns[:30] ** 2)], returns ** 2]))
    expected = sq.ewm(alpha=0.06, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-10)


def test_half_life_only_for_a_stationary_persistence() -> None:
    assert half_life(0.5) == pytest.approx(1.0)
    assert half_life(1.0) is None and half_life(1.2) is None and half_life(0.0) is None


def test_too_few_returns_says_how_many(returns) -> None:
    with pytest.raises(Problem) as e:
        volatility(returns[:40])
    assert e.value.status == 422 and "at least 101 observations" in e.value.detail


def test_constant_series_has_no_nan() -> None:
    out = clean(volatility(np.zeros(300)))
    json.dumps(out, allow_nan=False)
    assert "garch" not in out["models"] and out["notes"]
    assert out["models"]["ewma"]["forecast"][0]["daily"] == 0.0


def test_garch_tracks_the_simulated_variance_better_than_a_constant() -> None:
    r, h = returns_and_variance("AAPL")          # the simulator's true h_t, 2015–2024
    out = tracking(r, h, train=len(r) // 2)      # fitted on the first half, scored on the second
    s = out["scores"]
    assert s["garch"]["qlike"] < 0.5 * s["constant"]["qlike"]
    assert s["garch"]["rmse"] < s["constant"]["rmse"]
    # The simulator's own GARCH is alpha 0.09, beta 0.89: the fit should land near it.
    assert abs(out["params"]["alpha[1]"] - 0.09) < 0.05
    assert abs(out["params"]["beta[1]"] - 0.89) < 0.06
