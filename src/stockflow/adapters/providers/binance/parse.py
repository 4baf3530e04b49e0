"""Pure Binance spot parsers: ticker/24hr and ticker/price → Quote, klines → Bars, the
WebSocket trade event → a raw tick in the pipeline's wire format. Binance sends prices and
quantities as decimal strings and times in epoch ms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stockflow.adapters.providers import values as v
from stockflow.core.resilience.errors import ProviderBadData
from stockflow.market.domain import Bar, Interval, Quote

NAME = "binance"
INTERVALS = {Interval.M1: "1m", Interval.M5: "5m", Interval.M15: "15m", Interval.H1: "1h",
             Interval.D1: "1d"}


def _check_symbol(row: Any, symbol: str, what: str) -> dict:
    if not isinstance(row, dict) or not row:
        raise ProviderBadData(NAME, f"empty {what}")
    got = str(v.field(NAME, row, "symbol", what))
    if got != symbol:
        raise ProviderBadData(NAME, f"{what}: asked for {symbol}, got {got!r}")
    return row


def ticker_24hr(row: Any, ticker: str, symbol: str) -> Quote:
    """api/v3/ticker/24hr (FULL): last, top of book, rolling-24 h open/high/low/volume.

    Binance's "24 h" is a rolling window, so open/high/low/volume/prev_close are over the last
    24 h, not a session; time is the window's closeTime.
    """
    r = _check_symbol(row, symbol, "ticker/24hr")
    return v.quote(
        NAME, ticker, v.from_ms(v.number(NAME, r.get("closeTime"), "closeTime")),
        v.price(NAME, r.get("lastPrice"), "lastPrice"),
        bid=v.number(NAME, r.get("bidPrice"), "bidPrice"),
        ask=v.number(NAME, r.get("askPrice"), "askPrice"),
        bid_size=v.size(NAME, r.get("bidQty") or 0, "bidQty"),
        ask_size=v.size(NAME, r.get("askQty") or 0, "askQty"),
        volume=v.size(NAME, r.get("volume") or 0, "volume"),
        open=v.number(NAME, r.get("openPrice"), "openPrice"),
        high=v.number(NAME, r.get("highPrice"), "highPrice"),
        low=v.number(NAME, r.get("lowPrice"), "lowPrice"),
        prev_close=v.number(NAME, r.get("prevClosePrice") or 0, "prevClosePrice"))


def ticker_price(row: Any, ticker: str, symbol: str, now: datetime) -> Quote:
    """api/v3/ticker/price: the last price only (no time in the body: `now`)."""
    r = _check_symbol(row, symbol, "ticker/price")
    return v.quote(NAME, ticker, now, v.price(NAME, r.get("price")))


def klines(body: Any, ticker: str, interval: Interval) -> list[Bar]:
    """api/v3/klines rows: [open time ms, o, h, l, c, volume (base), close time, …]."""
    if not isinstance(body, list):
        raise ProviderBadData(NAME, "expected a list of klines")
    bars = []
    for row in body:
        if not isinstance(row, list) or len(row) < 6:
            raise ProviderBadData(NAME, f"bad kline {row!r}")
        bars.append(v.bar(NAME, ticker, interval, v.from_ms(v.number(NAME, row[0], "open time")),
                          row[1], row[2], row[3], row[4], row[5]))
    return bars


def trade_event(event: Any) -> dict[str, Any]:
    """A `<symbol>@trade` stream event → raw tick {"provider","symbol","seq","ts",…}.

    seq is the trade id `t`, ts the trade time `T` in epoch µs. A trade carries no book and no
    previous close, so those are None; the pipeline fills them from other streams.
    """
    if isinstance(event, dict) and "data" in event and "stream" in event:
        event = event["data"]  # combined-stream envelope
    if not isinstance(event, dict) or event.get("e") != "trade":
        raise ProviderBadData(NAME, f"not a trade event: {str(event)[:80]}")
    seq = event.get("t")
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise ProviderBadData(NAME, f"trade id t must be an integer, got {seq!r}")
    ts_ms = event.get("T")
    if isinstance(ts_ms, bool) or not isinstance(ts_ms, int):
        raise ProviderBadData(NAME, f"trade time T must be integer ms, got {ts_ms!r}")
    return {
        "provider": NAME,
        "symbol": str(v.field(NAME, event, "s", "trade")),
        "seq": seq,
        "ts": ts_ms * 1000,
        "price": v.price(NAME, event.get("p"), "p"),
        "size": v.number(NAME, event.get("q"), "q"),
        "bid": None, "ask": None, "bid_size": None, "ask_size": None, "prev_close": None,
    }
