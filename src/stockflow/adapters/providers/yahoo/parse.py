"""Pure Yahoo Finance parsers: v8 chart → Bars and a meta Quote, v7 quote → Quotes.

Yahoo wraps every answer as {<kind>: {"result": …, "error": null | {code, description}}}.
Daily bars are stamped by Yahoo at the session's open; StockFlow stamps a daily bar at 00:00 UTC
of its session date, so D1 times are moved to the exchange-local date (meta.gmtoffset).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stockflow.adapters.providers import values as v
from stockflow.core.resilience.errors import ProviderBadData, ProviderError, ProviderNotFound
from stockflow.market.domain import Bar, Interval, Quote

NAME = "yahoo"
INTERVALS = {Interval.M1: "1m", Interval.M5: "5m", Interval.M15: "15m", Interval.H1: "60m",
             Interval.D1: "1d"}


def envelope_error(body: Any) -> ProviderError | None:
    """The {kind: {error: {code, description}}} error of any Yahoo endpoint, typed."""
    if not isinstance(body, dict) or len(body) != 1:
        return None
    inner = next(iter(body.values()))
    err = inner.get("error") if isinstance(inner, dict) else None
    if not err:
        return None
    code, text = str(err.get("code", "")), str(err.get("description", err))
    if code == "Not Found" or "No data found" in text:
        return ProviderNotFound(NAME, f"{code}: {text}")
    return ProviderError(NAME, f"{code}: {text}")


def _chart_result(body: Any, symbol: str) -> dict:
    err = envelope_error(body)
    if err is not None:
        raise err
    try:
        result = body["chart"]["result"]
    except (KeyError, TypeError):
        raise ProviderBadData(NAME, "no chart.result in answer") from None
    if not isinstance(result, list) or not result or not isinstance(result[0], dict):
        raise ProviderBadData(NAME, f"{symbol}: empty chart result")
    r = result[0]
    got = str((r.get("meta") or {}).get("symbol", "")).upper()
    if got != symbol.upper():
        raise ProviderBadData(NAME, f"chart: asked for {symbol}, got {got!r}")
    return r


def chart_bars(body: Any, ticker: str, symbol: str, interval: Interval) -> list[Bar]:
    """Bars from a v8 chart; rows Yahoo leaves null (halts, gaps) are skipped, not invented."""
    r = _chart_result(body, symbol)
    stamps = r.get("timestamp") or []
    if not stamps:
        return []  # an empty window (weekend, holiday) is an answer, not an error
    try:
        q = r["indicators"]["quote"][0]
    except (KeyError, IndexError, TypeError):
        raise ProviderBadData(NAME, f"{symbol}: no indicators.quote") from None
    cols = [q.get(k) or [] for k in ("open", "high", "low", "close", "volume")]
    if any(len(c) != len(stamps) for c in cols[:4]):
        raise ProviderBadData(NAME, f"{symbol}: indicator lengths differ from timestamps")
    offset = int((r.get("meta") or {}).get("gmtoffset") or 0)
    bars = []
    for i, ts in enumerate(stamps):
        o, h, lo, c = (col[i] for col in cols[:4])
        if o is None or h is None or lo is None or c is None:
            continue
        vol = cols[4][i] if i < len(cols[4]) else 0
        bars.append(v.bar(NAME, ticker, interval, _bar_time(int(ts), offset, interval),
                          o, h, lo, c, vol))
    return bars


def chart_quote(body: Any, ticker: str, symbol: str) -> Quote:
    """A Quote from chart meta: regularMarketPrice/Time, day high/low/volume, previous close.

    Open comes from the chart's last bar when that bar is the quote's session (request a
    range=1d/interval=1d chart); otherwise 0. No book in chart meta: bid = ask = price.
    """
    r = _chart_result(body, symbol)
    meta = r.get("meta") or {}
    last = v.price(NAME, meta.get("regularMarketPrice"), "regularMarketPrice")
    when = v.from_seconds(v.number(NAME, meta.get("regularMarketTime"), "regularMarketTime"))
    prev = meta.get("previousClose") or meta.get("chartPreviousClose")
    offset = int(meta.get("gmtoffset") or 0)
    open_ = 0.0
    stamps = r.get("timestamp") or []
    opens = ((r.get("indicators") or {}).get("quote") or [{}])[0].get("open") or []
    if stamps and opens and opens[-1] is not None and _local_date(stamps[-1], offset) == \
            _local_date(when.timestamp(), offset):
        open_ = v.price(NAME, opens[-1], "open")
    return v.quote(
        NAME, ticker, when, last, open=open_,
        high=v.number(NAME, meta.get("regularMarketDayHigh") or 0, "regularMarketDayHigh"),
        low=v.number(NAME, meta.get("regularMarketDayLow") or 0, "regularMarketDayLow"),
        volume=v.size(NAME, meta.get("regularMarketVolume") or 0, "regularMarketVolume"),
        prev_close=v.number(NAME, prev, "previousClose") if prev is not None else 0.0)


def v7_quotes(body: Any, wanted: dict[str, str]) -> list[Quote]:
    """/v7/finance/quote rows → Quotes, in the order of `wanted` ({vendor symbol: ticker})."""
    err = envelope_error(body)
    if err is not None:
        raise err
    try:
        rows = body["quoteResponse"]["result"]
    except (KeyError, TypeError):
        raise ProviderBadData(NAME, "no quoteResponse.result in answer") from None
    by_symbol = {str(r.get("symbol", "")).upper(): r for r in rows or [] if isinstance(r, dict)}
    out = []
    for symbol, ticker in wanted.items():
        r = by_symbol.get(symbol.upper())
        if r is None:
            raise ProviderBadData(NAME, f"no quote for {symbol} in answer")
        last = v.price(NAME, r.get("regularMarketPrice"), "regularMarketPrice")
        out.append(v.quote(
            NAME, ticker,
            v.from_seconds(v.number(NAME, r.get("regularMarketTime"), "regularMarketTime")),
            last, bid=_opt(r, "bid"), ask=_opt(r, "ask"),
            bid_size=v.size(NAME, r.get("bidSize") or 0), ask_size=v.size(NAME, r.get("askSize") or 0),
            volume=v.size(NAME, r.get("regularMarketVolume") or 0),
            open=_opt(r, "regularMarketOpen") or 0.0, high=_opt(r, "regularMarketDayHigh") or 0.0,
            low=_opt(r, "regularMarketDayLow") or 0.0,
            prev_close=_opt(r, "regularMarketPreviousClose") or 0.0))
    return out


def _opt(row: dict, key: str) -> float | None:
    x = row.get(key)
    return None if x is None else v.number(NAME, x, key)


def _local_date(ts: float, offset: int):
    return datetime.fromtimestamp(ts + offset, UTC).date()


def _bar_time(ts: int, offset: int, interval: Interval) -> datetime:
    if interval is Interval.D1:
        d = _local_date(ts, offset)
        return datetime(d.year, d.month, d.day, tzinfo=UTC)
    return v.from_seconds(ts)
