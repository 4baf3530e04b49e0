"""Correlation matrices over aligned daily returns of instruments on different calendars.

Alignment: closes are joined on the calendar dates on which *every* instrument has a bar (the
intersection of their sessions), and log returns are taken between consecutive common dates. So
a crypto asset's weekend moves fold into its Monday return, and a return of each column always
spans the same dates as every other column's. Closes on one date are not simultaneous (NSE
closes about 10:00 UTC, US markets 21:00 UTC, crypto bars close at 00:00 UTC), which biases
cross-region correlations toward zero; the answer says so rather than lagging one side.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from stockflow.core.problems import invalid
from stockflow.predict.jsonsafe import clean
from stockflow.predict.series import too_few

MAX_TICKERS = 50
MIN_RETURNS = 20
METHODS = ("pearson", "spearman")
ALIGNMENT = ("returns between consecutive dates on which every instrument has a close; "
             "same-date closes of different exchanges are not simultaneous")


def aligned_returns(closes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """One column of log returns per ticker, indexed by the common dates."""
    if not closes:
        raise invalid("give at least one ticker")
    frames = {}
    for ticker, s in closes.items():
        idx = pd.to_datetime(s.index)
        idx = idx.tz_convert(None) if idx.tz is not None else idx
        ser = pd.Series(np.asarray(s, dtype=float), index=idx.normalize())
        ser = ser[np.isfinite(ser) & (ser > 0)]
        frames[ticker] = ser[~ser.index.duplicated(keep="last")]
    prices = pd.concat(frames, axis=1, join="inner").sort_index()
    return np.log(prices).diff().iloc[1:]


def _matrix(rets: pd.DataFrame, method: str) -> list[list[float | None]]:
    m = rets.corr(method=method).to_numpy(copy=True)
    m = (m + m.T) / 2.0                      # exact symmetry, whatever the summation order
    np.fill_diagonal(m, 1.0)
    return clean(m)


def correlation(closes: Mapping[str, pd.Series], method: str = "pearson",
                window: int | None = None, rolling_step: int | None = None) -> dict:
    """The matrix over the last `window` aligned returns (all of them when None) and, with
    `rolling_step`, the matrix of every window ending each `rolling_step` returns."""
    if method not in METHODS:
        raise invalid(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if len(closes) > MAX_TICKERS:
        raise invalid(f"at most {MAX_TICKERS} tickers, got {len(closes)}")
    rets = aligned_returns(closes)
    need = max(MIN_RETURNS, window or 0)
    if len(rets) < need:
        raise too_few("a correlation over the common dates", need + 1, len(rets) + 1)
    last = rets.iloc[-window:] if window else rets
    flat = [str(t) for t in rets.columns[rets.std(ddof=1).fillna(0).to_numpy() == 0]]
    out = {"tickers": [str(t) for t in rets.columns], "method": method,
           "matrix": _matrix(last, method), "observations": len(last),
           "common_dates": len(rets) + 1, "start": str(last.index[0].date()),
           "end": str(last.index[-1].date()), "alignment": ALIGNMENT,
           "constant": flat}
    if window and rolling_step:
        ends = range(len(rets), window - 1, -rolling_step)
        out["rolling"] = [{"end": str(rets.index[e - 1].date()),
                           "matrix": _matrix(rets.iloc[e - window:e], method)}
                          for e in sorted(ends)]
    return out
