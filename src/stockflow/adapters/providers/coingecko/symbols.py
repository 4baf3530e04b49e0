"""StockFlow crypto tickers (BTC-USD) ↔ CoinGecko coin ids ("bitcoin") and vs currencies ("usd")."""

from __future__ import annotations

from stockflow.market.domain import normalise_ticker

# The universe's coins. CoinGecko ids are not derivable from symbols (BNB is "binancecoin").
COIN_IDS: dict[str, str] = {
    "BTC": "bitcoin",
    "ETH": "ethereum",
    "SOL": "solana",
    "BNB": "binancecoin",
    "XRP": "ripple",
    "ADA": "cardano",
    "DOGE": "dogecoin",
    "AVAX": "avalanche-2",
    "USDT": "tether",
    "USDC": "usd-coin",
}
SYMBOLS: dict[str, str] = {v: k for k, v in COIN_IDS.items()}
# A subset of /simple/supported_vs_currencies: the fiat and coin quotes StockFlow uses.
VS_CURRENCIES = frozenset({"usd", "eur", "gbp", "inr", "jpy", "aud", "cad", "chf", "sgd",
                           "btc", "eth"})


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
