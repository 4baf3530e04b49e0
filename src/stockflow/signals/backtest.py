"""The backtest engine, vectorised: target weights decided at each bar's close are filled at the
next bar's open, paying commission and slippage on the weight traded; metrics beside buy-and-
hold of the same instruments over the same bars. One asset or many (an N×T weight matrix)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stockflow.signals.domain import BUY, SELL, ffill

PERIODS_PER_YEAR = {"1d": 252, "1h": 252 * 6.5, "15m": 252 * 26, "5m": 252 * 78, "1m": 252 * 390}


@dataclass(frozen=True)
class Costs:
    commission_bps: float
    slippage_bps: float

    @property
    def rate(self) -> float:
        return (self.commission_bps + self.slippage_bps) / 10_000


def positions(action: np.ndarray, direction: int = 1) -> np.ndarray:
    """Held stance after each close: a buy enters, a sell exits, a hold keeps what is held."""
    raw = np.where(action == BUY, 1.0, np.where(action == SELL, 0.0, np.nan))
    return ffill(raw) * direction


def bar_returns(open_: np.ndarray, close: np.ndarray, weights: np.ndarray,
                rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Portfolio return of every bar, and the weight held over each bar's session.

    `weights` is N×T: the weight each asset should have, decided at close t. It is filled at
    open t+1, so over bar t the overnight gap (close t-1 → open t) earns the weight decided at
    t-2 and the session (open t → close t) the one decided at t-1. Trading costs `rate` per unit
    of weight changed, paid at the open."""
    n, t = weights.shape
    held = np.zeros((n, t))
    held[:, 1:] = weights[:, :-1]          # filled at the open of the next bar
    before = np.zeros((n, t))
    before[:, 1:] = held[:, :-1]
    gap = np.zeros((n, t))
    gap[:, 1:] = open_[:, 1:] / close[:, :-1] - 1.0
    session = close / open_ - 1.0
    traded = np.abs(held - before).sum(axis=0)
    r = (1 + (before * gap).sum(axis=0)) * (1 - traded * rate) * (1 + (held * session).sum(axis=0))
    return r - 1.0, held


def _drawdown(equity: np.ndarray) -> tuple[float, int]:
    peak = np.maximum.accumulate(equity)
    dd = equity / peak - 1.0
    # Bars since the last peak, reset at each new peak: the longest run is the duration.
    at_peak = dd >= 0
    idx = np.where(at_peak, np.arange(len(dd)), 0)
    np.maximum.accumulate(idx, out=idx)
    under = np.arange(len(dd)) - idx
    return float(dd.min(initial=0.0)), int(under.max(initial=0))


def trades(r: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Return of each trade (a run of bars with one nonzero stance), entry and exit costs in."""
    stance = np.sign(held.sum(axis=0)) if held.ndim == 2 else np.sign(held)
    # A trade's bars: from its fill bar through the bar its exit is filled at (that bar pays
    # the exit cost), so each run is extended by one bar after it ends.
    active = stance != 0
    prev = np.concatenate(([0.0], stance[:-1]))
    starts = active & (stance != prev)
    runs = np.cumsum(starts)
    in_trade = active | (prev != 0)
    label = np.where(active, runs, np.concatenate(([0], runs[:-1])))
    label = np.where(in_trade, label, 0)
    if not label.any():
        return np.zeros(0)
    logs = np.log1p(r)
    per = np.bincount(label, logs, minlength=int(label.max()) + 1)[1:]
    return np.expm1(per)


def metrics(r: np.ndarray, held: np.ndarray, ppy: float, years: float) -> dict[str, Any]:
    """The issue's metrics of a series of bar returns (the first bar is the start, return 0)."""
    equity = np.cumprod(1 + r)
    total = float(equity[-1] - 1) if len(equity) else 0.0
    cagr = float(equity[-1] ** (1 / years) - 1) if years > 0 and equity[-1] > 0 else None
    body = r[1:]
    sd = float(body.std(ddof=1)) if len(body) > 1 else 0.0
    downside = float(np.sqrt(np.mean(np.minimum(body, 0.0) ** 2))) if len(body) else 0.0
    mean = float(body.mean()) if len(body) else 0.0
    mdd, duration = _drawdown(np.concatenate(([1.0], equity)))
    t = trades(r, held)
    wins, losses = t[t > 0], t[t <= 0]
    avg_loss = float(losses.mean()) if len(losses) else None
    return {
        "total_return": total, "cagr": cagr, "volatility": sd * np.sqrt(ppy),
        "sharpe": mean / sd * np.sqrt(ppy) if sd > 0 else None,
        "sortino": mean / downside * np.sqrt(ppy) if downside > 0 else None,
        "calmar": cagr / abs(mdd) if cagr is not None and mdd < 0 else None,
        "max_drawdown": mdd, "max_drawdown_bars": duration,
        "exposure": float((np.abs(np.atleast_2d(held)).sum(axis=0) > 0).mean())
        if held.size else 0.0,
        "trades": len(t),
        "win_rate": float(len(wins) / len(t)) if len(t) else None,
        "profit_factor": (float(wins.sum() / -losses.sum()) if len(losses) and losses.sum() < 0
                          else None),
        "average_trade": float(t.mean()) if len(t) else None,
        # In multiples of the average loss (R): what a trade earns per unit risked.
        "expectancy": (float(t.mean() / abs(avg_loss)) if avg_loss else None),
    }


def run(open_: np.ndarray, close: np.ndarray, weights: np.ndarray, costs: Costs, interval: str,
        years: float) -> dict[str, Any]:
    """Strategy and buy-and-hold metrics; every array N×T over the backtest's bars only."""
    ppy = PERIODS_PER_YEAR.get(interval, 252)
    r, held = bar_returns(open_, close, weights, costs.rate)
    n = weights.shape[0]
    hold = np.full(weights.shape, 1.0 / n)
    hr, hheld = bar_returns(open_, close, hold, costs.rate)
    return {"strategy": metrics(r, held, ppy, years), "buy_and_hold": metrics(hr, hheld, ppy, years),
            "equity": np.cumprod(1 + r), "returns": r, "held": held}


def clean(value: Any) -> Any:
    """Metrics as JSON: NaN and infinities become None, NumPy numbers Python ones."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
