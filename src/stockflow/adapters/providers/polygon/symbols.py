"""StockFlow tickers ↔ Polygon tickers: US equities as they are, crypto BTC-USD ↔ X:BTCUSD."""

from __future__ import annotations

from stockflow.market.assets import is_crypto_pair, is_us_equity
from stockflow.market.domain import normalise_ticker


def to_vendor(ticker: str) -> str | None:
    t = normalise_ticker(ticker)
    if is_us_equity(t):
        return t
    if is_crypto_pair(t):
        return "X:" + t.replace("-", "")
    return None


def same_symbol(vendor_symbol: str, ticker: str) -> bool:
    return vendor_symbol.upper() == (to_vendor(ticker) or "")
