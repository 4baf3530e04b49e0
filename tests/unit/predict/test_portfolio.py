"""Portfolio analysis and optimisation: constraints hold, optima beat feasible alternatives."""

from __future__ import annotations

import itertools
import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.core.problems import Problem
from stockflow.predict.optimise import estimates, optimise
from stockflow.predict.portfolio import analyse, simple_returns

TICKERS = ("AAPL", "MSFT", "JPM", "KO", "XOM", "RELIANCE", "BTC-USD")


@pytest.fixture(scope="module")
def closes() -> dict[str, pd.Series]:
    from stockflow.market.calendar import MarketCalendars

    model = PriceModel(42, MarketCalendars(end=date(2024, 12, 31)))
    out = {}
    for t in TICKERS:
        b = model.daily(t, date(2022, 1, 1), date(2024, 1, 1))
        out[t] = pd.Series(b.close, index=pd.to_datetime(b.time, unit="s", utc=True))
    return out


def _random_feasible(n: int, cap: float, rng) -> np.ndarray:
    while True:
        w = rng.dirichlet(np.ones(n))
        if w.max() <= cap:
            return w


def test_analysis_figures_agree_with_each_other(closes) -> None:
    w = dict.fromkeys(TICKERS, 1 / 7)
    out = analyse(closes, w, benchmark=closes["AAPL"])
    json.dumps(out, allow_nan=False)
    rc = out["risk_contributions"]
    assert sum(x["component"] for x in rc.values()) == pytest.approx(out["volatility"], rel=1e-9)
    assert sum(x["percent"] for x in rc.values()) == pytest.approx(1.0)
    rets = simple_returns(closes)
    rp = rets.to_numpy() @ np.full(7, 1 / 7)
    assert out["volatility"] == pytest.approx(rp.std(ddof=1) * math.sqrt(out["periods_per_year"]))
    assert out["sharpe"] == pytest.approx(out["return_annualised"] / out["volatility"])
    assert out["calmar"] == pytest.approx(out["cagr"] / out["max_drawdown"]["max_drawdown"])
    assert 0 < out["beta"] < 1.5
    assert out["var_es_1d"]["99"]["historical"]["var"] > out["var_es_1d"]["95"]["historical"]["var"]


def test_weights_that_do_not_sum_to_one_are_refused(closes) -> None:
    with pytest.raises(Problem) as e:
        analyse(closes, dict.fromkeys(TICKERS, 0.2))
    assert e.value.status == 422 and "sum to 1.4" in e.value.detail
    bad = dict.fromkeys(TICKERS, 0.24)
    bad["AAPL"], bad["MSFT"] = -0.1, -0.1
    with pytest.raises(Problem) as e:
        analyse(closes, bad)
    assert "negative weights while long-only: AAPL, MSFT" in e.value.detail
    analyse(closes, bad, long_only=False)            # allowed when shorting is
    with pytest.raises(Problem) as e:
        analyse(closes, {"AAPL": 0.5, "NOPE": 0.5})
    assert "NOPE" in e.value.detail


@pytest.mark.parametrize("objective", ["min_variance", "max_sharpe", "risk_parity"])
@pytest.mark.parametrize("cap", [1.0, 0.3])
def test_weights_sum_to_one_and_respect_constraints(closes, objective, cap) -> None:
    out = optimise(closes, objective, max_weight=cap)
    w = np.array(list(out["weights"].values()))
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert (w >= -1e-9).all() and (w <= cap + 1e-9).all()
    json.dumps(out, allow_nan=False)


def test_optima_beat_random_feasible_portfolios(closes) -> None:
    rets = simple_returns(closes)
    mu, cov = estimates(rets)
    rng = np.random.default_rng(0)
    mv = optimise(closes, "min_variance", max_weight=0.3)
    ms = optimise(closes, "max_sharpe", max_weight=0.3)
    for _ in range(300):
        w = _random_feasible(7, 0.3, rng)
        vol = math.sqrt(w @ cov @ w)
        assert mv["volatility"] <= vol + 1e-9
        assert ms["sharpe"] >= (mu @ w) / vol - 1e-6


def test_risk_parity_equalises_contributions(closes) -> None:
    out = optimise(closes, "risk_parity")
    np.testing.assert_allclose(list(out["risk_contributions"].values()), 1 / 7, atol=1e-4)


def test_frontier_rises_in_return_and_risk(closes) -> None:
    pts = optimise(closes, "min_variance", frontier_points=6)["frontier"]
    rets, vols = [p["return"] for p in pts], [p["volatility"] for p in pts]
    assert rets == sorted(rets) and all(b >= a - 1e-9 for a, b in itertools.pairwise(vols))
    for p in pts:
        assert sum(p["weights"].values()) == pytest.approx(1.0, abs=1e-8)


def test_infeasible_constraints_and_unknown_objective(closes) -> None:
    with pytest.raises(Problem) as e:
        optimise(closes, "min_variance", max_weight=0.1)      # 7 × 0.1 < 1
    assert "cannot sum to one" in e.value.detail
    with pytest.raises(Problem):
        optimise(closes, "max_return")
