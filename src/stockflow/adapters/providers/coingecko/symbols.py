"""StockFlow crypto tickers (BTC-USD) ↔ CoinGecko coin ids ("bitcoin") and vs currencies ("usd")."""

from __future__ import annotations

from stockflow.market.assets import COIN_IDS, SYMBOLS, VS_CURRENCIES
from stockflow.market.domain import normalise_ticker


def to_vendor(ticker: str) -> tuple[str, str] | None:
    """BTC-USD → ("bitcoin", "usd"); None when the coin or the quote currency is unknown."""
    base, _, quote = normalise_ticker(ticker).partition("-")
    coin, vs = COIN_IDS.get(base), quote.lower()
    if coin is None or vs not in VS_CURRENCIES:
        return None
    return coin, vs


def from_vendor(coin_id: str, vs: str) -> str | None:
    """("bitcoin", "usd") → BTC-USD; None for a coin outside the built-in map."""
    base = SYMBOLS.get(coin_id)
    return f"{base}-{vs.upper()}" if base else None
