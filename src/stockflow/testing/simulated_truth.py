"""The simulated market's hidden state, for tests and benches that score models against truth.

The simulated market draws each day's return with a GARCH(1,1) conditional variance h_t. That
variance is what a volatility model should recover; the market's public API serves prices only,
so this reads the price model's yearly paths directly (a test-only window into the simulator).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.market.calendar import MarketCalendars


def returns_and_variance(ticker: str, first_year: int = 2015, last_year: int = 2024,
                         seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Close-to-close log returns of the daily bars and the true h_t of each return's day."""
    model = PriceModel(seed, MarketCalendars(end=date(last_year + 1, 12, 31)))
    bars = model.daily(ticker, date(first_year, 1, 1), date(last_year + 1, 1, 1))
    # Every session of these years in order, the same rows as the daily bars.
    var = np.concatenate([model._year(ticker, y).var for y in range(first_year, last_year + 1)])
    if len(var) != len(bars):
        raise RuntimeError(f"{ticker}: {len(bars)} bars but {len(var)} variances")
    return np.diff(np.log(bars.close)), var[1:]
