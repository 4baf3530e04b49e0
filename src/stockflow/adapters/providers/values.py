"""Pure value coercions shared by every provider's parse.py: vendor scalars → checked floats/times.

Each raises ProviderBadData naming the field, so a parse function reads as a list of fields.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from stockflow.core.resilience.errors import ProviderBadData
from stockflow.market.domain import Bar, Interval, Quote


def number(provider: str, value: Any, field: str) -> float:
    """A finite float from a JSON number or numeric string ("112.6300", "-0.5852%" is not one)."""
    if isinstance(value, bool) or value is None:
        raise ProviderBadData(provider, f"{field}: expected a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ProviderBadData(provider, f"{field}: not a number: {value!r}") from None
    if not math.isfinite(x):
        raise ProviderBadData(provider, f"{field}: not finite: {value!r}")
    return x


def price(provider: str, value: Any, field: str = "price") -> float:
    """A positive finite price; zero, negative, NaN and inf are bad data."""
    x = number(provider, value, field)
    if x <= 0:
        raise ProviderBadData(provider, f"{field}: non-positive price {value!r}")
    return x


def size(provider: str, value: Any, field: str = "size") -> int:
    """A non-negative whole quantity (fractional crypto sizes are truncated)."""
    x = number(provider, value, field)
    if x < 0:
        raise ProviderBadData(provider, f"{field}: negative {value!r}")
    return int(x)


def from_seconds(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def from_ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def from_ns(ns: int) -> datetime:
    # Integer arithmetic keeps µs exact; a float of today's ns counts cannot hold them.
    seconds, us = divmod(int(ns) // 1000, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=us)


def field(provider: str, obj: Any, key: str, what: str = "") -> Any:
    """obj[key], or ProviderBadData saying which key of which object was missing."""
    if not isinstance(obj, dict) or key not in obj:
        raise ProviderBadData(provider, f"missing {key!r}{' in ' + what if what else ''}")
    return obj[key]


def quote(provider: str, ticker: str, time: datetime, last: float, *,
          bid: float | None = None, ask: float | None = None, bid_size: int = 0,
          ask_size: int = 0, volume: int = 0, open: float = 0.0, high: float = 0.0,
          low: float = 0.0, prev_close: float = 0.0) -> Quote:
    """A Quote with the house conventions for what a vendor leaves out.

    No book → bid = ask = last with sizes 0 (so `quote_is_valid` holds and mid == last);
    no session stats → 0.0 / 0, read as "not provided". A crossed book is bad data.
    """
    b = last if bid is None or bid <= 0 else bid
    a = last if ask is None or ask <= 0 else ask
    if b > a:
        raise ProviderBadData(provider, f"{ticker}: crossed book bid {b} > ask {a}")
    return Quote(ticker=ticker, time=time, price=last, bid=b, ask=a, bid_size=bid_size,
                 ask_size=ask_size, volume=volume, open=open, high=high, low=low,
                 prev_close=prev_close, provider=provider)


def bar(provider: str, ticker: str, interval: Interval, time: datetime, o: Any, h: Any, lo: Any,
        c: Any, v: Any) -> Bar:
    """A Bar from vendor scalars, every price checked positive and finite."""
    return Bar(ticker, interval, time, price(provider, o, "open"), price(provider, h, "high"),
               price(provider, lo, "low"), price(provider, c, "close"),
               size(provider, v if v is not None else 0, "volume"), provider)


def in_window(bars: list[Bar], start: datetime, end: datetime) -> list[Bar]:
    """Bars whose start time is in [start, end), in time order: the port's contract."""
    s, e = _aware(start), _aware(end)
    return sorted((b for b in bars if s <= b.time < e), key=lambda b: b.time)


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
