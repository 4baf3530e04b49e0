"""StockFlow crypto pairs ↔ Binance spot symbols: BTC-USD ↔ BTCUSDT, BNB-BTC ↔ BNBBTC.

Binance has no USD spot book; USD maps to the USDT book (documented in docs/providers.md).
"""

from __future__ import annotations

from stockflow.market.assets import is_crypto_pair
from stockflow.market.domain import normalise_ticker

_QUOTE_ALIASES = {"USD": "USDT"}
# Longest first, so BTCUSDT splits as BTC/USDT and not BTCUSD/T.
_QUOTES = ("FDUSD", "USDT", "USDC", "TUSD", "BUSD", "EUR", "TRY", "BRL", "BTC", "ETH", "BNB")


def to_vendor(ticker: str) -> str | None:
    t = normalise_ticker(ticker)
    if not is_crypto_pair(t):
        return None
    base, _, quote = t.partition("-")
    return base + _QUOTE_ALIASES.get(quote, quote)


def from_vendor(symbol: str) -> str | None:
    """BTCUSDT → BTC-USD, BNBBTC → BNB-BTC; None when no known quote asset ends the symbol."""
    s = symbol.upper()
    for q in _QUOTES:
        if s.endswith(q) and len(s) > len(q):
            quote = next((k for k, val in _QUOTE_ALIASES.items() if val == q), q)
            return f"{s[: -len(q)]}-{quote}"
    return None
