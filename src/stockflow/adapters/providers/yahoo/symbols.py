"""StockFlow tickers ↔ Yahoo symbols: NSE names get ".NS", class shares use a dash (BRK-B),
crypto pairs (BTC-USD) and other US symbols are the same in both."""

from __future__ import annotations

from stockflow.market.assets import is_crypto_pair, is_us_equity, nse_symbol
from stockflow.market.domain import normalise_ticker


def to_vendor(ticker: str) -> str | None:
    t = normalise_ticker(ticker)
    nse = nse_symbol(t)
    if nse is not None:
        return f"{nse}.NS"
    if is_crypto_pair(t):
        return t
    if is_us_equity(t):
        return t.replace(".", "-")
    return None


def from_vendor(symbol: str) -> str:
    s = symbol.upper()
    if s.endswith(".NS"):
        return s[:-3]
    head, dash, tail = s.partition("-")
    if dash and len(tail) <= 2:  # a share class (BRK-B); currencies have 3+ letters
        return f"{head}.{tail}"
    return s
