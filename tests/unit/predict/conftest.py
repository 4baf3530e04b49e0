"""Series shared by the predict tests: random walks with OHLCV made from a fixed seed, and the
simulated market's daily bars for four instruments."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.market.calendar import MarketCalendars
from stockflow.predict.ports import InMemoryHistory
from stockflow.predict.series import DailySeries, make_series


def walk(n: int = 260, seed: int = 3, drift: float = 0.0, vol: float = 0.01) -> DailySeries:
    rng = np.random.default_rng(seed)
    c = 100 * np.exp(np.cumsum(drift + vol * rng.standard_normal(n)))
    o = c * np.exp(0.002 * rng.standard_normal(n))
    hi = np.maximum(c, o) * (1 + 0.005 * rng.random(n))
    lo = np.minimum(c, o) * (1 - 0.005 * rng.random(n))
    dates = np.datetime64("2024-01-01") + np.arange(n)
    return make_series(c, dates=dates, open=o, high=hi, low=lo,
                       volume=rng.integers(10_000, 20_000, n))


@pytest.fixture
def series() -> DailySeries:
    return walk()


TICKERS = ("AAPL", "MSFT", "RELIANCE", "BTC-USD")


def simulated(ticker: str, model: PriceModel) -> DailySeries:
    b = model.daily(ticker, date(2022, 6, 1), date(2024, 12, 1))
    return make_series(b.close, dates=b.time.astype("datetime64[s]"), open=b.open, high=b.high,
                       low=b.low, volume=b.volume)


@pytest.fixture(scope="module")
def history() -> InMemoryHistory:
    model = PriceModel(42, MarketCalendars(end=date(2024, 12, 31)))
    return InMemoryHistory({t: simulated(t, model) for t in TICKERS})
