"""The backtest engine against returns and metrics computed by hand on small cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stockflow.signals.backtest import Costs, bar_returns, metrics, positions, run, trades
from stockflow.signals.domain import BUY, HOLD, SELL

O = np.array([[10.0, 11.0, 12.0, 12.0, 12.5]])
C = np.array([[10.5, 11.5, 12.5, 13.0, 12.0]])


def test_a_signal_at_a_close_is_filled_at_the_next_open_with_its_costs():
    # Buy decided at close 0 → filled at open 1; exit decided at close 2 → filled at open 3.
    r, held = bar_returns(O, C, np.array([[1.0, 1.0, 0.0, 0.0, 0.0]]), rate=0.001)
    assert held.tolist() == [[0.0, 1.0, 1.0, 0.0, 0.0]]
    expected = [0.0,
                (1 - 0.001) * (11.5 / 11.0) - 1,          # entry cost, then the session
                (12.0 / 11.5) * (12.5 / 12.0) - 1,        # the night and the day held
                (12.0 / 12.5) * (1 - 0.001) - 1,          # the night held, exit at the open
                0.0]
    assert r == pytest.approx(expected, abs=1e-12)


def test_no_position_earns_nothing_and_costs_nothing():
    r, held = bar_returns(O, C, np.zeros((1, 5)), rate=0.01)
    assert not r.any() and not held.any()


def test_positions_hold_between_a_buy_and_a_sell():
    action = np.array([HOLD, BUY, HOLD, HOLD, SELL, HOLD, BUY], dtype=np.int8)
    assert positions(action).tolist() == [0, 1, 1, 1, 0, 0, 1]
    assert positions(action, -1).tolist() == [0, -1, -1, -1, 0, 0, -1]


def test_trades_are_the_runs_of_a_held_position_exit_bar_included():
    r = np.array([0.0, 0.10, 0.0, -0.05, 0.0, 0.02, 0.03])
    held = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    # Trade 1: bars 1 (held) and 2 (its exit fill); trade 2: bars 3, 4; trade 3: bars 5, 6.
    assert trades(r, held) == pytest.approx([0.10, -0.05, 1.02 * 1.03 - 1])


def test_metrics_of_a_hand_computed_case():
    r = np.array([0.0, 0.10, -0.20, 0.05, 0.0])
    held = np.array([0.0, 1.0, 1.0, 0.0, 0.0])
    m = metrics(r, held, ppy=252, years=1.0)
    equity = np.cumprod(1 + r)
    assert m["total_return"] == pytest.approx(1.1 * 0.8 * 1.05 - 1)
    assert m["cagr"] == pytest.approx(equity[-1] - 1)            # one year
    body = r[1:]
    assert m["volatility"] == pytest.approx(np.std(body, ddof=1) * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(body.mean() / np.std(body, ddof=1) * math.sqrt(252))
    downside = math.sqrt(0.04 / 4)
    assert m["sortino"] == pytest.approx(body.mean() / downside * math.sqrt(252))
    # Peak 1.10 at bar 1, trough 0.88 at bar 2, not recovered by the end: 3 bars under water.
    assert m["max_drawdown"] == pytest.approx(0.88 / 1.10 - 1)
    assert m["max_drawdown_bars"] == 3
    assert m["calmar"] == pytest.approx(m["cagr"] / abs(m["max_drawdown"]))
    assert m["exposure"] == pytest.approx(2 / 5)
    # One trade: bars 1, 2 held and bar 3 its exit fill.
    assert m["trades"] == 1
    assert m["average_trade"] == pytest.approx(1.1 * 0.8 * 1.05 - 1)
    assert m["win_rate"] == 0.0
    assert m["profit_factor"] == 0.0     # no gain over the one loss


def test_win_rate_profit_factor_and_expectancy_over_several_trades():
    r = np.array([0.0, 0.10, 0.0, -0.05, 0.0, 0.02, 0.0])
    held = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    m = metrics(r, held, ppy=252, years=1.0)
    assert m["trades"] == 3
    assert m["win_rate"] == pytest.approx(2 / 3)
    assert m["profit_factor"] == pytest.approx(0.12 / 0.05)
    assert m["average_trade"] == pytest.approx(0.07 / 3)
    assert m["expectancy"] == pytest.approx((0.07 / 3) / 0.05)


def test_multi_asset_equal_weights_sum_the_sleeves():
    o = np.vstack([O, O * 2])
    c = np.vstack([C, C * 2 * np.array([1, 1, 1, 1.1, 1])])
    w = np.array([[0.5] * 5, [0.0, 0.5, 0.5, 0.5, 0.0]])
    r, _held = bar_returns(o, c, w, rate=0.0)
    one, _ = bar_returns(O, C, np.array([[0.5] * 5]), rate=0.0)
    # Bar 1: asset A held 0.5 over its session; B filled at the open of bar 2.
    assert r[1] == pytest.approx(one[1])
    gap_b, day_b = 0.0, (C[0, 2] * 2) / (O[0, 2] * 2) - 1
    day_a, gap_a = C[0, 2] / O[0, 2] - 1, O[0, 2] / C[0, 1] - 1
    assert r[2] == pytest.approx((1 + 0.5 * gap_a + 0.0 * gap_b) * (1 + 0.5 * day_a + 0.5 * day_b)
                                 - 1)


def test_buy_and_hold_is_reported_beside_the_strategy_on_the_same_bars():
    out = run(O, C, np.zeros((1, 5)), Costs(0.0, 0.0), "1d", years=1.0)
    assert out["strategy"]["total_return"] == 0.0
    # Bought at the open of bar 1, held to the last close.
    assert out["buy_and_hold"]["total_return"] == pytest.approx(C[0, -1] / O[0, 1] - 1)
    assert out["buy_and_hold"]["exposure"] == pytest.approx(4 / 5)


def test_costs_are_commission_plus_slippage_in_basis_points():
    assert Costs(1.0, 2.0).rate == pytest.approx(0.0003)
    cheap = run(O, C, np.array([[1.0, 0, 1, 0, 1]]), Costs(0, 0), "1d", 1.0)
    dear = run(O, C, np.array([[1.0, 0, 1, 0, 1]]), Costs(10, 10), "1d", 1.0)
    assert dear["strategy"]["total_return"] < cheap["strategy"]["total_return"]
