"""Correlation over aligned returns: symmetric, unit diagonal, equal to pandas, calendars joined."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.core.problems import Problem
from stockflow.market.calendar import MarketCalendars
from stockflow.predict.correlation import aligned_returns, correlation


@pytest.fixture(scope="module")
def closes() -> dict[str, pd.Series]:
    """US equities, NSE equities and a crypto pair from the simulated market: three calendars."""
    model = PriceModel(42, MarketCalendars(end=date(2024, 12, 31)))
    out = {}
    for t in ("AAPL", "MSFT", "SPY", "RELIANCE", "TCS", "BTC-USD"):
        b = model.daily(t, date(2022, 1, 1), date(2024, 1, 1))
        out[t] = pd.Series(b.close, index=pd.to_datetime(b.time, unit="s", utc=True))
    return out


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_symmetric_unit_diagonal_equal_to_pandas(closes, method) -> None:
    out = correlation(closes, method)
    m = np.array(out["matrix"], dtype=float)
    assert out["tickers"] == list(closes)
    np.testing.assert_array_equal(m, m.T)
    np.testing.assert_array_equal(np.diag(m), 1.0)
    expected = aligned_returns(closes).corr(method=method).to_numpy()
    np.testing.assert_allclose(m, expected, atol=1e-12)
    assert (np.abs(m) <= 1.0).all()


def test_calendars_are_aligned_on_common_dates(closes) -> None:
    rets = aligned_returns(closes)
    common = set.intersection(*(set(s.index.normalize().tz_convert(None)) for s in closes.values()))
    assert len(rets) == len(common) - 1
    assert rets.notna().all().all()
    # BTC trades at weekends: its return over Friday→Monday carries the whole weekend's move.
    btc = closes["BTC-USD"]
    btc.index = btc.index.normalize().tz_convert(None)
    monday = next(d for d in rets.index if d.weekday() == 0 and d - pd.Timedelta(days=3) in rets.index)
    assert rets.loc[monday, "BTC-USD"] == pytest.approx(
        np.log(btc[monday] / btc[monday - pd.Timedelta(days=3)]))


def test_rolling_windows_equal_pandas_on_each_window(closes) -> None:
    out = correlation(closes, "pearson", window=60, rolling_step=40)
    rets = aligned_returns(closes)
    last = out["rolling"][-1]
    assert last["end"] == out["end"]
    np.testing.assert_allclose(np.array(last["matrix"], dtype=float),
                               rets.iloc[-60:].corr().to_numpy(), atol=1e-12)
    assert out["observations"] == 60 and len(out["rolling"]) >= 5


def test_constant_series_gives_none_not_nan(closes) -> None:
    data = dict(closes)
    data["FLAT"] = pd.Series(10.0, index=closes["AAPL"].index)
    out = correlation(data)
    json.dumps(out, allow_nan=False)
    i = out["tickers"].index("FLAT")
    assert out["matrix"][i][i] == 1.0 and out["matrix"][0][i] is None
    assert out["constant"] == ["FLAT"]


def test_bad_input_is_422(closes) -> None:
    with pytest.raises(Problem):
        correlation(closes, "kendall-ish")
    with pytest.raises(Problem):
        correlation({f"T{i}": closes["AAPL"] for i in range(51)})
    short = {k: v.iloc[:10] for k, v in closes.items()}
    with pytest.raises(Problem) as e:
        correlation(short)
    assert "at least 21" in e.value.detail
