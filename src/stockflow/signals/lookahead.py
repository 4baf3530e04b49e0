"""Look-ahead checks run on every backtest.

Truncation: the signals recomputed on the data cut at sampled dates must equal the full run's
up to each date (a strategy that reads a later bar changes when the later bars are removed).
Warm-up: the signals and indicators over the backtest's bars must not change when more history
is loaded before them (a strategy whose values depend on where the data starts is refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stockflow.core.problems import TYPE_BASE, Problem
from stockflow.signals.domain import Series, Track

# Exponential indicators (EMA, RSI, ATR) forget their seed geometrically: after the default
# 250 bars of warm-up what is left is far under these tolerances. Strength lives in [0, 1], so
# it is compared absolutely (near a threshold it is a small difference of large numbers).
RTOL, ATOL, STRENGTH_ATOL = 1e-6, 1e-9, 1e-6
StrategyRun = Callable[[Series], Track]


def _differs(a: Track, b: Track, a_lo: int, b_lo: int, n: int) -> str | None:
    """What differs between a[a_lo:a_lo+n] and b[b_lo:b_lo+n], or None."""
    sa, sb = slice(a_lo, a_lo + n), slice(b_lo, b_lo + n)
    bad = np.flatnonzero(a.action[sa] != b.action[sb])
    if len(bad):
        return f"action at bar {int(bad[0])}"
    for name, col in a.indicators.items():
        other = b.indicators.get(name)
        if other is None or not np.allclose(col[sa], other[sb], rtol=RTOL, atol=ATOL,
                                            equal_nan=True):
            return f"indicator {name}"
    if not np.allclose(a.strength[sa], b.strength[sb], rtol=0, atol=STRENGTH_ATOL,
                       equal_nan=True):
        return "strength"
    return None


def truncation(fn: StrategyRun, s: Series, full: Track, window: int,
               samples: int) -> dict[str, Any]:
    """Recompute at `samples` dates spread over bars window..end of `s` (full = fn(s))."""
    n = len(s)
    dates = np.unique(np.linspace(window, n - 1, samples).round().astype(int)) if n > window else []
    for k in dates:
        cut = fn(s.cut(0, int(k) + 1))
        what = _differs(cut, full, window, window, int(k) + 1 - window)
        if what is not None:
            return {"passed": False, "dates": [s.time(int(d)).isoformat() for d in dates],
                    "failed_at": s.time(int(k)).isoformat(),
                    "detail": f"{what} differs when the data ends at {s.time(int(k)).date()}"}
    return {"passed": True, "dates": [s.time(int(d)).isoformat() for d in dates]}


def warmup(fn: StrategyRun, longer: Series, extra: int, window: int,
           full: Track) -> dict[str, Any]:
    """`full` = fn(longer.cut(extra)); recompute on all of `longer` (extra more bars before)."""
    if extra <= 0:
        return {"passed": True, "skipped": "no history older than the normal warm-up is stored",
                "extra_bars": 0}
    long_track = fn(longer)
    n = len(longer) - extra - window
    what = _differs(long_track, full, extra + window, window, n)
    if what is not None:
        return {"passed": False, "extra_bars": extra,
                "detail": f"{what} changes when {extra} more bars of history are loaded"}
    return {"passed": True, "extra_bars": extra}


def require(checks: dict[str, dict[str, Any]]) -> None:
    """Refuse (422) a backtest whose strategy failed a check, naming the check."""
    failed = [name for name, c in checks.items() if not c["passed"]]
    if failed:
        detail = "; ".join(f"{name}: {checks[name]['detail']}" for name in failed)
        raise Problem(422, "Look-ahead Check Failed",
                      f"the strategy failed the look-ahead check ({detail})",
                      type_=TYPE_BASE + "look-ahead", failed=failed, checks=checks)
