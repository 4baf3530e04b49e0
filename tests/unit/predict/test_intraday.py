"""Hourly features: one row per session from its own hourly bars, NaN where a session has
none, and the gradient-boosted model takes them as extra columns without look-ahead."""

from __future__ import annotations

import numpy as np

from stockflow.predict.gbm import GbmForecaster, features
from stockflow.predict.intraday import NAMES, HourlyColumns, session_rows

from .conftest import walk


def test_session_rows_from_hourly_bars() -> None:
    day = np.datetime64("2024-01-02T14:00:00", "s").astype(np.int64)
    times = day + 3600 * np.arange(4)
    opens = np.array([100.0, 101.0, 99.0, 100.0])
    closes = np.array([101.0, 99.0, 100.0, 102.0])
    (row,) = session_rows(times, opens, closes).values()
    r = np.log(closes / np.concatenate([[100.0], closes[:-1]]))
    np.testing.assert_allclose(row, [np.log(np.sqrt(np.sum(r * r)) + 1e-12), r[0], r[-1]])


def test_sessions_without_hourly_bars_are_missing_not_zero() -> None:
    s = walk(120)
    last = s.dates[-1].astype("datetime64[D]")
    cols = HourlyColumns({last: np.array([-4.0, 0.01, -0.02])})(s)
    assert cols.shape == (120, len(NAMES))
    assert np.isnan(cols[:-1]).all() and cols[-1].tolist() == [-4.0, 0.01, -0.02]
    x = features(s, HourlyColumns({last: np.ones(3)}))
    assert x.shape[1] == features(s).shape[1] + len(NAMES)
    # A model with the columns fits and forecasts on a history they cover only in part.
    path = GbmForecaster(extra=HourlyColumns({last: np.ones(3)})).forecast(s, 3)
    assert np.all(np.isfinite(path.mean)) and np.all(path.lo95 <= path.hi95)
