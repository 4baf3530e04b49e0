"""Which market a bare StockFlow ticker belongs to, for the vendors that cover only some.

StockFlow spells NSE names bare (RELIANCE), like US ones, so vendors need a list to tell them
apart. This is the universe's NSE list; `NSE:X` and `X.NS` spellings are accepted too.
"""

from __future__ import annotations

from stockflow.market.domain import normalise_ticker

# The universe's coins by CoinGecko id, the ids the rates API speaks (HeyCard). CoinGecko ids
# are not derivable from symbols (BNB is "binancecoin").
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
                           "cny", "btc", "eth"})

# ISO 4217 codes of the fiat currencies StockFlow converts between: every one has a USD pair in
# the simulated market (EURUSD, USDJPY, ...), so any two cross through the dollar.
FIAT_CURRENCIES = frozenset({"USD", "EUR", "GBP", "JPY", "INR", "CNY", "CHF", "AUD", "CAD",
                             "SGD"})

NSE_TICKERS = frozenset({
    "RELIANCE", "TCS", "INFY", "HDFCBANK", "ICICIBANK", "SBIN", "ITC", "HINDUNILVR", "LT",
    "BHARTIARTL",
})


def nse_symbol(ticker: str) -> str | None:
    """RELIANCE, NSE:RELIANCE or RELIANCE.NS → RELIANCE; None for a non-NSE ticker."""
    t = normalise_ticker(ticker)
    if t.startswith("NSE:"):
        return t[4:] or None
    if t.endswith(".NS"):
        return t[:-3] or None
    return t if t in NSE_TICKERS else None


def fx_pair(ticker: str) -> tuple[str, str] | None:
    """EURUSD → ("EUR", "USD"), for two known fiat codes run together; None otherwise."""
    t = normalise_ticker(ticker)
    base, quote = t[:3], t[3:]
    if len(t) == 6 and base != quote and base in FIAT_CURRENCIES and quote in FIAT_CURRENCIES:
        return base, quote
    return None


def is_crypto_pair(ticker: str) -> bool:
    base, dash, quote = normalise_ticker(ticker).partition("-")
    return bool(dash and base and quote and base.isalnum() and quote.isalnum())


def is_us_equity(ticker: str) -> bool:
    """A bare US-style symbol (AAPL, BRK.B) that is neither an NSE name nor a crypto pair."""
    t = normalise_ticker(ticker)
    if not t or nse_symbol(t) is not None or is_crypto_pair(t) or fx_pair(t) is not None:
        return False
    head, _, cls = t.partition(".")
    return head.isalpha() and len(head) <= 5 and (not cls or (cls.isalpha() and len(cls) <= 2))
