"""Daily features from hourly bars, for the gradient-boosted model where hourly bars exist.

Per session: the realised volatility of its hourly log returns (a sharper read of the day's
variance than the daily range), the first hour's return (the opening move) and the last hour's
return (the close's drift). A session without hourly bars gets NaN, which LightGBM treats as
missing, so one model serves a history whose intraday bars cover only its recent part.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stockflow.predict.series import DailySeries

NAMES = ("hourly_realised_vol", "first_hour_return", "last_hour_return")


def session_rows(times: np.ndarray, opens: np.ndarray, closes: np.ndarray
                 ) -> dict[np.datetime64, np.ndarray]:
    """Hourly bars (times in seconds, oldest first) → one feature row per UTC session day."""
    out: dict[np.datetime64, np.ndarray] = {}
    day_of = times.astype("datetime64[s]").astype("datetime64[D]")
    for day in np.unique(day_of):
        k = day_of == day
        o, c = opens[k], closes[k]
        if len(c) < 2:
            continue
        r = np.diff(np.log(np.concatenate([[o[0]], c])))
        out[day] = np.array([np.log(np.sqrt(np.sum(r * r)) + 1e-12), r[0], r[-1]])
    return out


class HourlyColumns:
    """Callable for GbmForecaster(extra=...): the rows of the sessions `s` covers, by date."""

    def __init__(self, rows: dict[np.datetime64, np.ndarray]) -> None:
        self.rows = rows

    def __call__(self, s: DailySeries) -> np.ndarray:
        blank = np.full(len(NAMES), np.nan)
        keys: Sequence = s.dates.astype("datetime64[D]")
        return np.vstack([self.rows.get(d, blank) for d in keys])
