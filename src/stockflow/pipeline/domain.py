"""Tick types and pure rules of the pipeline: wire shape, symbol mapping, timestamps, validation.

Ticks travel as plain dicts and tuples, not objects: this is the hot path, and the processed tick
has to become JSON without a conversion step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypedDict

from stockflow.market.domain import normalise_ticker

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
NS_THRESHOLD = 100_000_000_000_000_000      # ints above this are epoch nanoseconds (> 1e17)
MAX_TS_US = 253_402_300_800_000_000         # 10000-01-01: beyond what datetime can show
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_INF = math.inf


class RejectReason(StrEnum):
    UNPARSABLE = "unparsable"
    NON_POSITIVE_PRICE = "non_positive_price"
    NON_FINITE_PRICE = "non_finite_price"
    CROSSED_QUOTE = "crossed_quote"
    FUTURE_TIMESTAMP = "future_timestamp"
    NEGATIVE_SIZE = "negative_size"
    UNKNOWN_SYMBOL = "unknown_symbol"
    TOO_LATE = "too_late"


class TickRejected(ValueError):
    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class RawTick(TypedDict, total=False):
    """A tick as ingestion publishes it on `market.ticks.raw`; the last five may be absent."""

    provider: str
    symbol: str                 # the provider's own spelling: "BTCUSDT", "NSE:RELIANCE", "aapl"
    seq: int                    # per (provider, symbol); with them, the tick's identity
    ts: int | float | str       # epoch µs (int), s (float), ns (int > 1e17) or ISO 8601
    price: float
    size: float | int
    bid: float | None
    ask: float | None
    bid_size: int | None
    ask_size: int | None
    prev_close: float | None


# A parsed tick is a plain tuple, in this order (tuples are several times cheaper than objects).
TICK_FIELDS = ("provider", "symbol", "seq", "ts", "price", "size", "bid", "ask", "bid_size",
               "ask_size", "prev_close")
ParsedTick = tuple[str, str, int, int, float, float, float | None, float | None, int | None,
                   int | None, float | None]


def tick_id(provider: str, symbol: str, seq: int) -> str:
    return f"{provider}:{symbol}:{seq}"


# -- timestamps --------------------------------------------------------------------------------

def parse_ts(value: Any) -> int:
    """Any accepted timestamp form → UTC epoch microseconds. ValueError/TypeError if not one.

    int: µs, or ns when above 1e17. float: seconds (a float too large to be seconds, as some JSON
    encoders write big ints, is read by magnitude as µs or ns). str: ISO 8601 (an offset is
    honoured, none means UTC; digits beyond µs are cut) or a number in one of the forms above.
    """
    cls = value.__class__
    if cls is int:
        us = value // 1000 if value > NS_THRESHOLD else value
    elif cls is float:
        if not math.isfinite(value):
            raise ValueError(f"timestamp {value!r} is not finite")
        if value >= 1e17:
            us = round(value / 1000)
        elif value >= 1e14:
            us = round(value)
        else:
            us = round(value * US_PER_SECOND)
    elif cls is str:
        s = value.strip()
        for number in (int, float):
            try:
                return parse_ts(number(s))
            except ValueError:
                pass
        return parse_ts(datetime.fromisoformat(s.replace("z", "Z")))
    elif isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        us = (dt - EPOCH) // _ONE_US
    else:
        raise TypeError(f"timestamp of type {cls.__name__}")
    if not 0 <= us < MAX_TS_US:
        raise ValueError(f"timestamp {value!r} is out of range")
    return us


def iso_time(ts_us: int) -> str:
    """'YYYY-MM-DDTHH:MM:SS.ffffffZ', always with the six fraction digits."""
    sec, us = divmod(ts_us, US_PER_SECOND)
    return f"{(EPOCH + timedelta(seconds=sec)).isoformat()[:19]}.{us:06d}Z"


def us_to_datetime(ts_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=ts_us)


def datetime_to_us(t: datetime) -> int:
    """Epoch microseconds of `t`; a naive time is UTC, as storage keeps times."""
    return ((t if t.tzinfo else t.replace(tzinfo=EPOCH.tzinfo)) - EPOCH) // _ONE_US


_ONE_US = timedelta(microseconds=1)


# -- symbols -----------------------------------------------------------------------------------

CRYPTO_PROVIDERS = frozenset({
    "binance", "binanceus", "bybit", "okx", "kraken", "coinbase", "bitstamp", "kucoin", "gemini",
})
# Stablecoins quote as USD. These concatenated suffixes are unambiguous from any provider
# (TUSD is not: Kraken's "XBTUSD" ends in it, so it counts only after a separator); a
# concatenated fiat one ("BTCUSD") is split only for crypto venues.
STABLECOINS = ("FDUSD", "USDT", "USDC", "BUSD")
SEPARATED_STABLECOINS = frozenset(STABLECOINS + ("TUSD", "USDP", "DAI"))
FIATS = ("USD", "EUR", "GBP", "JPY", "INR", "AUD", "CAD", "TRY", "BRL")
CRYPTO_ALIASES = {"XBT": "BTC", "XDG": "DOGE"}     # Kraken's spellings
EXCHANGE_SUFFIXES = (".NS", ".BO")                 # Yahoo: NSE and BSE listings
SERIES_SUFFIXES = ("-EQ", "-BE", "-BZ", "-SM")     # NSE series (Dhan, Zerodha and friends)


def normalise_symbol(provider: str, symbol: str,
                     symbol_map: Mapping[Any, str] | None = None) -> str:
    """A provider's symbol → our ticker: "BTCUSDT" → "BTC-USD", "NSE:RELIANCE" → "RELIANCE".

    `symbol_map` wins over the rules; it may be keyed by (provider, symbol) or by symbol alone.
    """
    if symbol_map:
        hit = symbol_map.get((provider, symbol))
        if hit is None:
            hit = symbol_map.get(symbol)
        if hit is not None:
            return normalise_ticker(hit)
    s = normalise_ticker(symbol)
    if ":" in s:                        # "NSE:RELIANCE", "BINANCE:BTCUSDT"
        s = s.rsplit(":", 1)[1]
    for suffix in EXCHANGE_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    for suffix in SERIES_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    crypto_venue = provider.lower() in CRYPTO_PROVIDERS
    if "-" in s:                        # "BTC-USDT", "BTC/USDT" (already dashed above)
        base, _, quote = s.rpartition("-")
        if quote in SEPARATED_STABLECOINS or crypto_venue:
            return _pair(base, quote)
        return s
    for quote in STABLECOINS + (FIATS if crypto_venue else ()):
        if s.endswith(quote) and len(s) > len(quote):
            return _pair(s[: -len(quote)], quote)
    return s


def _pair(base: str, quote: str) -> str:
    quote = "USD" if quote in SEPARATED_STABLECOINS else quote
    return f"{CRYPTO_ALIASES.get(base, base)}-{quote}"


# -- validation --------------------------------------------------------------------------------

def parse_tick(raw: Mapping[str, Any]) -> ParsedTick:
    """Check one raw tick and return it as a `ParsedTick`; TickRejected says why not. Checks
    that need context (future, unknown symbol, too late) belong to the processor. A bad
    prev_close is dropped, not fatal: it is reference data and must not cost us the trade.
    Written for the common case first: one type test and one comparison per field."""
    try:
        provider = raw["provider"]
        symbol = raw["symbol"]
        seq = raw["seq"]
        ts = raw["ts"]
        price = raw["price"]
        size = raw["size"]
    except KeyError as e:
        raise TickRejected(RejectReason.UNPARSABLE, f"missing field {e.args[0]!r}") from None
    except TypeError:
        raise TickRejected(RejectReason.UNPARSABLE, "not a mapping") from None
    try:
        bid = raw["bid"]
        ask = raw["ask"]
        bid_size = raw["bid_size"]
        ask_size = raw["ask_size"]
        prev_close = raw["prev_close"]
    except KeyError:
        get = raw.get
        bid, ask, bid_size, ask_size, prev_close = (
            get("bid"), get("ask"), get("bid_size"), get("ask_size"), get("prev_close"))

    if (provider.__class__ is not str or not provider or symbol.__class__ is not str
            or not symbol or seq.__class__ is not int):
        raise _bad_identity(provider, symbol)
    if ts.__class__ is not int or not 0 <= ts <= NS_THRESHOLD:
        try:
            ts = parse_ts(ts)
        except (ValueError, TypeError, OverflowError) as e:
            raise TickRejected(RejectReason.UNPARSABLE, f"ts: {e}") from None
    if price.__class__ is not float or not 0.0 < price < _INF:
        price = _price(price, "price")

    if size.__class__ is not int or size < 0:
        size = _size(size)

    if bid is not None and (bid.__class__ is not float or not 0.0 < bid < _INF):
        bid = _price(bid, "bid")
    if ask is not None:
        if ask.__class__ is not float or not 0.0 < ask < _INF:
            ask = _price(ask, "ask")
        if bid is not None and bid > ask:
            raise TickRejected(RejectReason.CROSSED_QUOTE, f"bid {bid} > ask {ask}")
    if bid_size is not None and (bid_size.__class__ is not int or bid_size < 0):
        bid_size = _book_size(bid_size, "bid_size")
    if ask_size is not None and (ask_size.__class__ is not int or ask_size < 0):
        ask_size = _book_size(ask_size, "ask_size")
    if prev_close is not None and (prev_close.__class__ is not float
                                   or not 0.0 < prev_close < _INF):
        cls = prev_close.__class__
        prev_close = float(prev_close) if cls is int and prev_close > 0 else None
    return (provider, symbol, seq, ts, price, size, bid, ask, bid_size, ask_size, prev_close)


def _bad_identity(provider: Any, symbol: Any) -> TickRejected:
    if provider.__class__ is not str or not provider:
        return TickRejected(RejectReason.UNPARSABLE, "provider must be a non-empty string")
    if symbol.__class__ is not str or not symbol:
        return TickRejected(RejectReason.UNPARSABLE, "symbol must be a non-empty string")
    return TickRejected(RejectReason.UNPARSABLE, "seq must be an integer")


def _size(size: Any) -> int | float:
    """The slow path of a size: a negative int, a float, or not a number."""
    cls = size.__class__
    if cls is int:
        raise TickRejected(RejectReason.NEGATIVE_SIZE, f"size {size}")
    if cls is not float:
        raise TickRejected(RejectReason.UNPARSABLE, "size must be a number")
    if not 0.0 <= size < _INF:
        raise _bad_size(size)
    return int(size) if size.is_integer() else size


def _price(value: Any, name: str) -> float:
    cls = value.__class__
    if cls is int:
        value = float(value)
    elif cls is not float:
        raise TickRejected(RejectReason.UNPARSABLE, f"{name} must be a number")
    if 0.0 < value < _INF:
        return value
    if math.isnan(value) or math.isinf(value):
        raise TickRejected(RejectReason.NON_FINITE_PRICE, f"{name} {value}")
    raise TickRejected(RejectReason.NON_POSITIVE_PRICE, f"{name} {value}")


def _bad_size(size: float) -> TickRejected:
    if size < 0.0:
        return TickRejected(RejectReason.NEGATIVE_SIZE, f"size {size}")
    return TickRejected(RejectReason.UNPARSABLE, f"size {size} is not finite")


def _book_size(value: Any, name: str) -> int:
    cls = value.__class__
    if cls is float and value.is_integer():
        value = int(value)
    elif cls is not int:
        raise TickRejected(RejectReason.UNPARSABLE, f"{name} must be an integer")
    if value < 0:
        raise TickRejected(RejectReason.NEGATIVE_SIZE, f"{name} {value}")
    return value
