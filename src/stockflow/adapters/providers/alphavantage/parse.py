"""Pure Alpha Vantage parsers: GLOBAL_QUOTE → Quote, TIME_SERIES_* → Bars, error bodies → errors.

Alpha Vantage answers errors with HTTP 200 and a one-key body: "Error Message" (bad call or
unknown symbol), "Note" (the legacy per-minute limit) or "Information" (the daily limit, or a
premium-only endpoint). Intraday times are exchange-local ("6. Time Zone": US/Eastern).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from stockflow.adapters.providers import values as v
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
)
from stockflow.market.domain import Bar, Interval, Quote

NAME = "alphavantage"
INTRADAY = {Interval.M1: "1min", Interval.M5: "5min", Interval.M15: "15min",
            Interval.H1: "60min"}


def body_error(body: Any) -> ProviderError | None:
    if not isinstance(body, dict):
        return None
    if "Error Message" in body:
        text = str(body["Error Message"])
        if "apikey" in text.lower():
            return ProviderAuthError(NAME, text)
        return ProviderNotFound(NAME, text)
    for key in ("Note", "Information"):
        if key in body and len(body) <= 2:
            text = str(body[key])
            if "premium" in text.lower() and "frequency" not in text.lower() \
                    and "rate limit" not in text.lower():
                return ProviderAuthError(NAME, text)
            # A per-minute limit clears within a minute; a daily one we cannot date.
            retry = 60.0 if "per minute" in text.lower() else None
            return ProviderRateLimited(NAME, text, retry_after=retry)
    return None


def global_quote(body: Any, ticker: str, symbol: str) -> Quote:
    """GLOBAL_QUOTE. Time is the latest trading day at 00:00 UTC (the API gives a date only);
    no book, so bid = ask = price. An empty "Global Quote" is AV's answer for an unknown symbol."""
    if not isinstance(body, dict) or "Global Quote" not in body:
        raise ProviderBadData(NAME, "no 'Global Quote' in answer")
    q = body["Global Quote"]
    if not q:
        raise ProviderNotFound(NAME, f"no quote for {symbol}")
    got = str(v.field(NAME, q, "01. symbol", "Global Quote")).upper()
    if got != symbol.upper():
        raise ProviderBadData(NAME, f"GLOBAL_QUOTE: asked for {symbol}, got {got!r}")
    day = date.fromisoformat(str(v.field(NAME, q, "07. latest trading day")))
    return v.quote(
        NAME, ticker, datetime(day.year, day.month, day.day, tzinfo=UTC),
        v.price(NAME, q.get("05. price"), "05. price"),
        open=v.number(NAME, q.get("02. open"), "02. open"),
        high=v.number(NAME, q.get("03. high"), "03. high"),
        low=v.number(NAME, q.get("04. low"), "04. low"),
        volume=v.size(NAME, q.get("06. volume"), "06. volume"),
        prev_close=v.number(NAME, q.get("08. previous close"), "08. previous close"))


def time_series_bars(body: Any, ticker: str, symbol: str, interval: Interval) -> list[Bar]:
    """TIME_SERIES_INTRADAY / TIME_SERIES_DAILY → Bars in time order, stamped in UTC."""
    if not isinstance(body, dict):
        raise ProviderBadData(NAME, "expected an object")
    meta = v.field(NAME, body, "Meta Data")
    got = str(meta.get("2. Symbol", "")).upper()
    if got != symbol.upper():
        raise ProviderBadData(NAME, f"time series: asked for {symbol}, got {got!r}")
    key = next((k for k in body if k.startswith("Time Series")), None)
    if key is None or not isinstance(body[key], dict):
        raise ProviderBadData(NAME, f"{symbol}: no time series in answer")
    tz_name = next((str(val) for k, val in meta.items() if "Time Zone" in k), "US/Eastern")
    tz = ZoneInfo(tz_name)
    bars = []
    for stamp, row in body[key].items():
        bars.append(v.bar(NAME, ticker, interval, _time(stamp, tz, interval),
                          row.get("1. open"), row.get("2. high"), row.get("3. low"),
                          row.get("4. close"), row.get("5. volume")))
    return sorted(bars, key=lambda b: b.time)


def _time(stamp: str, tz: ZoneInfo, interval: Interval) -> datetime:
    try:
        if interval is Interval.D1:
            d = date.fromisoformat(stamp[:10])
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        return datetime.fromisoformat(stamp).replace(tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise ProviderBadData(NAME, f"bad timestamp {stamp!r}") from None


def exchange_rate(body: Any, ticker: str, base: str, quote: str) -> Quote:
    """CURRENCY_EXCHANGE_RATE → Quote of `ticker` (EURUSD: USD per EUR). Bid and ask are "-"
    when AV has no book; then both are the rate. Times are in the body's "7. Time Zone"."""
    if not isinstance(body, dict) or "Realtime Currency Exchange Rate" not in body:
        raise ProviderBadData(NAME, "no 'Realtime Currency Exchange Rate' in answer")
    r = body["Realtime Currency Exchange Rate"]
    where = "Realtime Currency Exchange Rate"
    got = (str(v.field(NAME, r, "1. From_Currency Code", where)).upper(),
           str(v.field(NAME, r, "3. To_Currency Code", where)).upper())
    if got != (base, quote):
        raise ProviderBadData(NAME, f"asked for {base}/{quote}, got {got[0]}/{got[1]}")
    rate = v.price(NAME, v.field(NAME, r, "5. Exchange Rate", where), "5. Exchange Rate")
    bid, ask = (v.price(NAME, r[k], k) if r.get(k) not in (None, "", "-") else rate
                for k in ("8. Bid Price", "9. Ask Price"))
    tz = ZoneInfo(str(r.get("7. Time Zone") or "UTC"))
    stamp = str(v.field(NAME, r, "6. Last Refreshed", where))
    try:
        at = datetime.fromisoformat(stamp).replace(tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise ProviderBadData(NAME, f"6. Last Refreshed: not a time: {stamp!r}") from None
    return Quote(ticker=ticker, time=at, price=rate, bid=min(bid, ask), ask=max(bid, ask),
                 bid_size=0, ask_size=0, volume=0, open=rate, high=rate, low=rate,
                 prev_close=rate, provider=NAME)
