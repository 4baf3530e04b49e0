"""Pure parsers for <Vendor>: vendor JSON → Quote / list[Bar], raising the typed errors.

No I/O here: every function takes a decoded body and returns domain types, so it is tested
on the vendor's real payloads without a server. Use `values` for every scalar, so a zero, NaN
or missing price is ProviderBadData naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stockflow.adapters.providers import values as v
from stockflow.core.resilience.errors import ProviderBadData
from stockflow.market.domain import Bar, Interval, Quote

NAME = "template"  # TODO: the vendor's name; also the `provider` on every Quote and Bar
INTERVALS = {Interval.M1: "1m", Interval.M5: "5m", Interval.M15: "15m", Interval.H1: "1h",
             Interval.D1: "1d"}  # TODO: the vendor's spelling of each interval


def quote(body: Any, ticker: str, symbol: str) -> Quote:
    """TODO: map the vendor's quote body. Check the symbol in the answer is the one asked for."""
    if not isinstance(body, dict) or not body:
        raise ProviderBadData(NAME, "empty quote")
    got = str(v.field(NAME, body, "symbol"))
    if got != symbol:
        raise ProviderBadData(NAME, f"asked for {symbol}, got {got!r}")
    return v.quote(NAME, ticker, v.from_ms(v.number(NAME, body.get("time"), "time")),
                   v.price(NAME, body.get("price")))


def bars(body: Any, ticker: str, interval: Interval) -> list[Bar]:
    """TODO: map the vendor's candles. An empty list is a valid answer (a closed market)."""
    if not isinstance(body, list):
        raise ProviderBadData(NAME, "expected a list of candles")
    return [v.bar(NAME, ticker, interval, _time(row), row.get("o"), row.get("h"), row.get("l"),
                  row.get("c"), row.get("v")) for row in body]


def _time(row: dict) -> datetime:
    return v.from_ms(v.number(NAME, v.field(NAME, row, "t"), "t"))
