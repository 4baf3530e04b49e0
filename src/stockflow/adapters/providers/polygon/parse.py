"""Pure Polygon parsers: last trade, last NBBO, prev close and aggregates → domain types.

Polygon times: trades/quotes in ns since the epoch (`t`, SIP time), aggregates in ms (`t`,
the bar start). Every body has a `status` ("OK", "DELAYED", "NOT_AUTHORIZED", "ERROR", …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockflow.adapters.providers import values as v
from stockflow.adapters.providers.polygon.symbols import same_symbol, to_vendor
from stockflow.core.resilience.errors import ProviderBadData
from stockflow.market.domain import Bar, Interval, Quote

NAME = "polygon"
SPANS = {Interval.M1: (1, "minute"), Interval.M5: (5, "minute"), Interval.M15: (15, "minute"),
         Interval.H1: (1, "hour"), Interval.D1: (1, "day")}


@dataclass(frozen=True, slots=True)
class Trade:
    price: float
    size: int
    time: datetime


@dataclass(frozen=True, slots=True)
class Nbbo:
    bid: float
    ask: float
    bid_size: int
    ask_size: int
    time: datetime


def _results(body: Any, ticker: str, what: str) -> dict:
    res = v.field(NAME, body, "results", what)
    if not isinstance(res, dict) or not res:
        raise ProviderBadData(NAME, f"{ticker}: empty {what}")
    sym = res.get("T")
    if sym is not None and not same_symbol(str(sym), ticker):
        raise ProviderBadData(NAME, f"{what}: asked for {to_vendor(ticker)}, got {sym!r}")
    return res


def last_trade(body: Any, ticker: str) -> Trade:
    """/v2/last/trade/{T}: p price, s size, t SIP timestamp (ns)."""
    r = _results(body, ticker, "last trade")
    return Trade(v.price(NAME, r.get("p")), v.size(NAME, r.get("s") or 0),
                 _ns_time(r))


def last_nbbo(body: Any, ticker: str) -> Nbbo:
    """/v2/last/nbbo/{T}: p/s bid price/size, P/S ask price/size, t SIP timestamp (ns)."""
    r = _results(body, ticker, "last NBBO")
    return Nbbo(v.price(NAME, r.get("p"), "bid"), v.price(NAME, r.get("P"), "ask"),
                v.size(NAME, r.get("s") or 0, "bid_size"), v.size(NAME, r.get("S") or 0,
                                                                    "ask_size"),
                _ns_time(r))


def prev_close(body: Any, ticker: str) -> float:
    """/v2/aggs/ticker/{T}/prev: the previous session's close."""
    rows = v.field(NAME, body, "results", "prev close")
    if not isinstance(rows, list) or not rows:
        raise ProviderBadData(NAME, f"{ticker}: empty prev close")
    return v.price(NAME, v.field(NAME, rows[0], "c", "prev close"), "prev close")


def make_quote(ticker: str, trade: Trade, nbbo: Nbbo | None, prev: float) -> Quote:
    """Last trade + NBBO + prev close. Session open/high/low/volume are not in these endpoints
    (they are in the snapshot, a paid tier): 0 = not provided."""
    if nbbo is None:
        return v.quote(NAME, ticker, trade.time, trade.price, prev_close=prev)
    return v.quote(NAME, ticker, max(trade.time, nbbo.time), trade.price, bid=nbbo.bid,
                   ask=nbbo.ask, bid_size=nbbo.bid_size, ask_size=nbbo.ask_size,
                   prev_close=prev)


def aggs_bars(body: Any, ticker: str, interval: Interval) -> list[Bar]:
    """/v2/aggs/ticker/{T}/range/…: o h l c v, t = bar start (ms). No results → no bars."""
    if not isinstance(body, dict):
        raise ProviderBadData(NAME, "expected an object from aggs")
    sym = body.get("ticker")
    if sym is not None and not same_symbol(str(sym), ticker):
        raise ProviderBadData(NAME, f"aggs: asked for {to_vendor(ticker)}, got {sym!r}")
    rows = body.get("results") or []
    if not isinstance(rows, list):
        raise ProviderBadData(NAME, "aggs results is not a list")
    return [v.bar(NAME, ticker, interval, v.from_ms(v.number(NAME, v.field(NAME, r, "t"), "t")),
                  r.get("o"), r.get("h"), r.get("l"), r.get("c"), r.get("v"))
            for r in rows]


def _ns_time(r: dict) -> datetime:
    t = v.field(NAME, r, "t", "results")
    if isinstance(t, bool) or not isinstance(t, int) or t <= 0:
        raise ProviderBadData(NAME, f"t: expected epoch ns, got {t!r}")
    return v.from_ns(t)
