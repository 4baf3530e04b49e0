"""Jump days of the simulated market, read from its price model, for the simulated news."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from stockflow.market.domain import AssetClass
from stockflow.news.simulated import Move, big_moves

_SESSIONS = {AssetClass.CRYPTO: 365}  # equities and ETFs: 252 sessions a year


def moves_from_model(model: Any, start: date, end: date, k: float = 3.0) -> list[Move]:
    """Big moves of every listing of a simulated PriceModel between start and end."""
    out: list[Move] = []
    for ticker, listing in model.listings.items():
        bars = model.daily(ticker, start, end)
        if len(bars) < 2:
            continue
        sessions = _SESSIONS.get(listing.instrument.asset_class, 252)
        days = [datetime.fromtimestamp(int(t), UTC).date() for t in bars.time]
        out.extend(big_moves([float(c) for c in bars.close], days, ticker,
                             listing.params.vol / math.sqrt(sessions), k))
    return sorted(out, key=lambda m: (m.day, m.ticker))
