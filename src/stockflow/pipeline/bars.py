"""Live bars from ticks: 1-minute OHLCV per ticker behind a watermark, rolled up to 5m/15m/1h/1d.

Bucket alignment is the simulated provider's convention, so live bars and stored history agree:
exchange-listed tickers get buckets aligned to the session open, the last one stopping at the
close, and a daily bar stamped 00:00 UTC of the session date; 24/7 and unknown tickers get
buckets aligned to the UTC epoch. Minutes outside a regular session (pre/post-market, holidays)
are emitted as 1m bars but rolled up into nothing, as stored history has no bars there either.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

from stockflow.market.domain import Bar, Interval, Schedule
from stockflow.market.ports import MarketCalendars
from stockflow.pipeline.domain import US_PER_MINUTE, US_PER_SECOND, datetime_to_us, us_to_datetime

US_PER_DAY = 86_400 * US_PER_SECOND
ROLLUPS = (Interval.M5, Interval.M15, Interval.H1, Interval.D1)
INTERVAL_US = {
    Interval.M1: US_PER_MINUTE, Interval.M5: 5 * US_PER_MINUTE, Interval.M15: 15 * US_PER_MINUTE,
    Interval.H1: 60 * US_PER_MINUTE, Interval.D1: US_PER_DAY,
}
MIXED_PROVIDER = "pipeline"    # a bar built from ticks of more than one provider

ExchangeOf = Mapping[str, str] | Callable[[str], str | None]


class Alignment(Protocol):
    """Where bars and sessions start and end; all times are UTC epoch microseconds."""

    def bucket(self, ticker: str, interval: Interval, ts: int) -> tuple[int, int] | None:
        """[start, end) of the `interval` bucket holding `ts`, or None if `ts` is in none."""
        ...

    def session_day(self, ticker: str, ts: int) -> tuple[date, int, int]:
        """(session date, start, end) of the trading day holding `ts`, for running totals."""
        ...

    def previous_session_day(self, ticker: str, day: date) -> date:
        ...


class SessionAlignment:
    """Default `Alignment`: exchange sessions from MarketCalendars, UTC days for 24/7 markets.

    `exchange_of` maps a ticker to an exchange code (XNYS, XNSE, CRYPTO...); a ticker it does not
    know, or a 24/7 exchange, is aligned to the UTC epoch. Calendars are only built (and made,
    if not given) when an exchange-listed ticker shows up.
    """

    def __init__(self, exchange_of: ExchangeOf | None = None,
                 calendars: MarketCalendars | None = None) -> None:
        if exchange_of is None:
            self._exchange_of: Callable[[str], str | None] = lambda _t: None
        elif isinstance(exchange_of, Mapping):
            self._exchange_of = exchange_of.get
        else:
            self._exchange_of = exchange_of
        self._calendars = calendars
        self._markets: dict[str, tuple[Schedule, ZoneInfo] | None] = {}
        self._last: dict[str, tuple[int, int, int]] = {}    # exchange → (open, close, day) µs

    @property
    def calendars(self) -> MarketCalendars:
        if self._calendars is None:
            raise ValueError("exchange-listed tickers need the market's calendars")
        return self._calendars

    def bucket_start(self, ticker: str, interval: Interval, ts: int) -> int | None:
        b = self.bucket(ticker, interval, ts)
        return None if b is None else b[0]

    def bucket(self, ticker: str, interval: Interval, ts: int) -> tuple[int, int] | None:
        market = self._market(ticker)
        n = INTERVAL_US[interval]
        if market is None:
            start = ts - ts % n
            return start, start + n
        session = self._session(market[0], ts)
        if session is None:
            return None
        open_, close, day = session
        if interval is Interval.D1:
            return day, close
        start = open_ + (ts - open_) // n * n
        return start, min(start + n, close)

    def session_day(self, ticker: str, ts: int) -> tuple[date, int, int]:
        market = self._market(ticker)
        if market is None:
            start = ts - ts % US_PER_DAY
            return us_to_datetime(start).date(), start, start + US_PER_DAY
        tz = market[1]
        day = datetime.fromtimestamp(ts / US_PER_SECOND, tz).date()
        return day, _local_midnight(day, tz), _local_midnight(day + timedelta(days=1), tz)

    def previous_session_day(self, ticker: str, day: date) -> date:
        market = self._market(ticker)
        if market is not None:
            days = market[0].days
            i = int(np.searchsorted(days, np.datetime64(day, "D"))) - 1
            if i >= 0:
                return days[i].astype(object)
        return day - timedelta(days=1)

    def _market(self, ticker: str) -> tuple[Schedule, ZoneInfo] | None:
        try:
            return self._markets[ticker]
        except KeyError:
            pass
        exchange = self._exchange_of(ticker)
        market = None
        if exchange:
            try:
                spec = self.calendars.spec(exchange)
            except KeyError:
                spec = None
            if spec is not None and spec.xcals is not None:
                market = (self.calendars.schedule(exchange), ZoneInfo(spec.timezone))
        self._markets[ticker] = market
        return market

    def _session(self, sched: Schedule, ts: int) -> tuple[int, int, int] | None:
        """The regular session holding `ts` as (open, close, 00:00 UTC of its date), or None."""
        hit = self._last.get(sched.exchange)
        if hit is not None and hit[0] <= ts < hit[1]:
            return hit
        i = bisect_right(sched.open_list, ts // US_PER_SECOND) - 1
        if i < 0 or ts >= sched.close_list[i] * US_PER_SECOND:
            return None
        day = int(sched.days[i].astype("datetime64[s]").astype(np.int64)) * US_PER_SECOND
        hit = (sched.open_list[i] * US_PER_SECOND, sched.close_list[i] * US_PER_SECOND, day)
        self._last[sched.exchange] = hit
        return hit


def _local_midnight(day: date, tz: ZoneInfo) -> int:
    return int(datetime.combine(day, time(0), tz).timestamp()) * US_PER_SECOND


class _TickerBars:
    __slots__ = ("bars", "cutoff", "due", "rollups", "watermark")

    def __init__(self) -> None:
        # minute start → [open, high, low, close, volume, first ts, last ts, provider]
        self.bars: dict[int, list] = {}
        # (interval, start) → [open, high, low, close, volume, end, provider]
        self.rollups: dict[tuple[Interval, int], list] = {}
        self.watermark = -1     # max event time seen
        self.cutoff = 0         # every 1m bar starting before this is closed (a minute boundary)
        self.due = 0            # the watermark at which `cutoff` moves next


class BarAggregator:
    """1-minute bars per ticker, closed `lateness` after their end by the ticker's watermark.

    The watermark is the ticker's latest event time, or the wall clock given to `advance()` for
    tickers that went quiet. Late and out-of-order ticks update their bar until it closes; after
    that `add()` refuses them. Closed 1m bars roll up into `intervals`; a rolled-up bar closes
    with its last minute. Closed bars collect until `drain()`; closed buckets are forgotten.
    """

    def __init__(self, *, lateness_seconds: float = 120, alignment: Alignment | None = None,
                 intervals: Iterable[Interval] = ROLLUPS) -> None:
        self.lateness_us = round(lateness_seconds * US_PER_SECOND)
        self.alignment: Alignment = alignment if alignment is not None else SessionAlignment()
        self.intervals = tuple(Interval(i) for i in intervals if Interval(i) is not Interval.M1)
        self._tickers: dict[str, _TickerBars] = {}
        self._closed: list[Bar] = []

    def add(self, ticker: str, ts: int, price: float, size: float, provider: str) -> bool:
        """Add a trade at `ts` (epoch µs); False, and nothing changes, if its bar has closed."""
        st = self._tickers.get(ticker)
        if st is None:
            st = self._tickers[ticker] = _TickerBars()
        if ts < st.cutoff:
            return False
        m = ts - ts % US_PER_MINUTE
        b = st.bars.get(m)
        if b is None:
            st.bars[m] = [price, price, price, price, size, ts, ts, provider]
        else:
            if price > b[1]:
                b[1] = price
            elif price < b[2]:
                b[2] = price
            if ts >= b[6]:
                b[3] = price
                b[6] = ts
            elif ts < b[5]:
                b[0] = price
                b[5] = ts
            b[4] += size
            if b[7] != provider:
                b[7] = MIXED_PROVIDER
        if ts > st.watermark:
            st.watermark = ts
            if ts >= st.due:
                self._close(ticker, st, ts)
        return True

    def advance(self, now_us: int) -> None:
        """Close, by wall clock, every bar that ended more than `lateness` before `now_us`."""
        for ticker, st in self._tickers.items():
            if now_us >= st.due:
                self._close(ticker, st, now_us)

    def close_ended(self, now_us: int) -> None:
        """Close every bar whose minute ended by `now_us`, without waiting out the lateness: at
        shutdown, when no late tick can arrive any more and an open bar would be lost."""
        for ticker, st in self._tickers.items():
            self._close(ticker, st, now_us + self.lateness_us)

    def seed(self, ticker: str, bars: Sequence[Bar]) -> None:
        """Resume `ticker` after a restart from its stored 1-minute bars (oldest first): minutes
        up to the last one are closed (their ticks are in storage), and the rolled-up bars still
        in progress (the hour, the session) start from the stored minutes instead of from zero."""
        if not bars:
            return
        st = self._tickers.get(ticker)
        if st is None:
            st = self._tickers[ticker] = _TickerBars()
        cutoff = datetime_to_us(bars[-1].time) + US_PER_MINUTE
        if cutoff <= st.cutoff:
            return
        st.cutoff = cutoff
        st.due = max(st.due, cutoff + US_PER_MINUTE + self.lateness_us)
        for b in bars:
            self._roll(ticker, st, datetime_to_us(b.time), b.open, b.high, b.low, b.close,
                       b.volume, b.provider, open_after=cutoff)

    def drain(self) -> list[Bar]:
        """Bars closed since the last drain, in the order they closed."""
        out, self._closed = self._closed, []
        return out

    def watermark(self, ticker: str) -> int | None:
        st = self._tickers.get(ticker)
        return None if st is None or st.watermark < 0 else st.watermark

    def cutoff(self, ticker: str) -> int:
        """Ticks of `ticker` before this time (epoch µs) are too late."""
        st = self._tickers.get(ticker)
        return 0 if st is None else st.cutoff

    def open_buckets(self, ticker: str) -> int:
        st = self._tickers.get(ticker)
        return 0 if st is None else len(st.bars) + len(st.rollups)

    def _close(self, ticker: str, st: _TickerBars, mark: int) -> None:
        lateness = self.lateness_us
        edge = mark - lateness
        cutoff = edge - edge % US_PER_MINUTE
        if cutoff > st.cutoff:
            st.cutoff = cutoff
            closing = sorted(m for m in st.bars if m < cutoff)
            out = self._closed
            for m in closing:
                o, h, lo, c, v, _, _, provider = st.bars.pop(m)
                out.append(Bar(ticker, Interval.M1, us_to_datetime(m), o, h, lo, c, v, provider))
                self._roll(ticker, st, m, o, h, lo, c, v, provider)
            if st.rollups:
                done = sorted((r[5], INTERVAL_US[k[0]], k) for k, r in st.rollups.items()
                              if r[5] <= cutoff)
                for _, _, key in done:
                    o, h, lo, c, v, _, provider = st.rollups.pop(key)
                    out.append(Bar(ticker, key[0], us_to_datetime(key[1]), o, h, lo, c, v,
                                   provider))
        st.due = st.cutoff + US_PER_MINUTE + lateness

    def _roll(self, ticker: str, st: _TickerBars, m: int, o: float, h: float, lo: float,
              c: float, v: float, provider: str, open_after: int = 0) -> None:
        # 1m bars close in time order, so the first merged is the open and the last the close.
        bucket = self.alignment.bucket
        for interval in self.intervals:
            bounds = bucket(ticker, interval, m)
            if bounds is None or bounds[1] <= open_after:
                continue
            key = (interval, bounds[0])
            r = st.rollups.get(key)
            if r is None:
                st.rollups[key] = [o, h, lo, c, v, bounds[1], provider]
                continue
            r[1] = max(r[1], h)
            r[2] = min(r[2], lo)
            r[3] = c
            r[4] += v
            if r[6] != provider:
                r[6] = MIXED_PROVIDER
