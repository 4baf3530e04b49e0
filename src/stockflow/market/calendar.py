"""Exchange calendars (sessions, hours, holidays) and market status, built on `exchange_calendars`.

Every exchange is reduced to one `Schedule` (session dates with UTC open/close seconds), so all
questions — sessions, bounds, minutes, status — are answered by the same array look-ups.
"""

from __future__ import annotations

import threading
import warnings
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from stockflow.market.domain import Schedule

DAY = 86_400
HOLIDAY_LOOKAHEAD_DAYS = 90


@dataclass(frozen=True, slots=True)
class ExchangeSpec:
    code: str
    name: str
    timezone: str
    xcals: str | None             # exchange_calendars name; None for the 24/7 market
    pre_open: time | None         # start of the pre-market window (local time)
    post_close: time | None       # end of the post-market window (local time)
    post_start: time | None = None  # post window starts here instead of at the close
    early_post_close: time | None = None  # end of post-market on early-close days
    weekdays_only: bool = False   # without xcals: Monday to Friday, not every day


SPECS: dict[str, ExchangeSpec] = {
    "XNYS": ExchangeSpec("XNYS", "New York Stock Exchange", "America/New_York", "XNYS",
                         time(4, 0), time(20, 0), early_post_close=time(17, 0)),
    "XNAS": ExchangeSpec("XNAS", "Nasdaq", "America/New_York", "XNAS",
                         time(4, 0), time(20, 0), early_post_close=time(17, 0)),
    # exchange_calendars has no XNSE. BSE (XBOM) and NSE share trading days, hours (09:15-15:30 IST)
    # and holidays, so XBOM stands in for it. NSE's pre-open call auction is 09:00-09:15; its
    # post-closing session (trades at the closing price) is 15:40-16:00 and is our "post_market";
    # 15:30-15:40, while the closing price is computed, counts as closed.
    "XNSE": ExchangeSpec("XNSE", "National Stock Exchange of India", "Asia/Kolkata", "XBOM",
                         time(9, 0), time(16, 0), post_start=time(15, 40)),
    "CRYPTO": ExchangeSpec("CRYPTO", "Crypto (24/7)", "UTC", None, None, None),
    # The interbank currency market trades round the clock on weekdays; its sessions are UTC
    # days, Monday to Friday (the real week opens Sunday 22:00 UTC in Sydney; a UTC day keeps
    # daily bars aligned with every other calendar's dates).
    "FX": ExchangeSpec("FX", "Foreign exchange (24/5)", "UTC", None, None, None,
                       weekdays_only=True),
}

# XBOM's holiday list ends where the exchange has published it (end of 2026 in v4.13). Beyond that
# we assume weekdays minus the fixed-date national holidays; the lunar ones (Holi, Diwali, Eid...)
# cannot be known in advance and will appear when exchange_calendars records them.
_INDIA_FIXED_HOLIDAYS = {
    (1, 26): "Republic Day",
    (5, 1): "Maharashtra Day",
    (8, 15): "Independence Day",
    (10, 2): "Gandhi Jayanti",
    (12, 25): "Christmas",
}


@dataclass(frozen=True, slots=True)
class ExchangeStatus:
    exchange: str
    name: str
    timezone: str
    state: str                      # "open" | "closed" | "pre_market" | "post_market"
    is_open: bool
    as_of: datetime
    next_open: datetime | None      # None for a market that never closes
    next_close: datetime | None
    session_open: datetime | None   # today's session (exchange-local date), if there is one
    session_close: datetime | None
    holidays: list[dict] = field(default_factory=list)  # [{"date": date, "name": str}], next 90 days

    def to_wire(self) -> dict:
        """JSON-ready dict: datetimes and dates as ISO 8601 strings."""
        def iso(v: datetime | None) -> str | None:
            return v.isoformat().replace("+00:00", "Z") if v is not None else None

        return {
            "exchange": self.exchange, "name": self.name, "timezone": self.timezone,
            "state": self.state, "is_open": self.is_open, "as_of": iso(self.as_of),
            "next_open": iso(self.next_open), "next_close": iso(self.next_close),
            "session_open": iso(self.session_open), "session_close": iso(self.session_close),
            "holidays": [{"date": h["date"].isoformat(), "name": h["name"]} for h in self.holidays],
        }


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)


def _as_utc(at: datetime) -> datetime:
    # Naive datetimes are taken as UTC: every clock in the system hands out UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class MarketCalendars:
    """Calendars for XNYS, XNAS, XNSE, CRYPTO and FX over [start, end]; each built on first use."""

    def __init__(self, start: date = date(2015, 1, 1), end: date | None = None,
                 today: date | None = None) -> None:
        today = today or datetime.now(UTC).date()
        self.start = start
        # Whole years, so that yearly consumers (the simulated market) never straddle the edge.
        self.end = end or date(today.year + 2, 12, 31)
        self._schedules: dict[str, Schedule] = {}
        self._holiday_names: dict[str, dict[date, str]] = {}
        self._lock = threading.Lock()

    @property
    def exchanges(self) -> tuple[str, ...]:
        return tuple(SPECS)

    def spec(self, exchange: str) -> ExchangeSpec:
        try:
            return SPECS[exchange]
        except KeyError:
            raise KeyError(f"unknown exchange {exchange!r}") from None

    def schedule(self, exchange: str) -> Schedule:
        sched = self._schedules.get(exchange)
        if sched is None:
            spec = self.spec(exchange)
            with self._lock:
                sched = self._schedules.get(exchange)
                if sched is None:
                    sched = self._build(spec)
                    self._schedules[exchange] = sched
        return sched

    # -- queries ---------------------------------------------------------------------------

    def sessions(self, exchange: str, start: date, end: date) -> list[date]:
        """Trading days in [start, end], both inclusive."""
        sched = self.schedule(exchange)
        self._check_range(start, end)
        lo = np.searchsorted(sched.days, np.datetime64(start, "D"), "left")
        hi = np.searchsorted(sched.days, np.datetime64(end, "D"), "right")
        return sched.days[lo:hi].astype(object).tolist()

    def is_session(self, exchange: str, day: date) -> bool:
        self._check_range(day, day)
        return self.schedule(exchange).index_of(day) >= 0

    def session_bounds(self, exchange: str, day: date) -> tuple[datetime, datetime]:
        """UTC open and close of the session on `day`; ValueError if `day` is not a session."""
        sched = self.schedule(exchange)
        self._check_range(day, day)
        i = sched.index_of(day)
        if i < 0:
            raise ValueError(f"{day} is not a {exchange} session")
        return _utc(sched.open_list[i]), _utc(sched.close_list[i])

    def minutes(self, exchange: str, day: date) -> pd.DatetimeIndex:
        """UTC start of every trading minute of the session on `day`."""
        open_, close = self.session_bounds(exchange, day)
        return pd.date_range(open_, close, freq="min", inclusive="left")

    def is_trading_time(self, exchange: str, at: datetime) -> bool:
        """True inside a regular session (pre/post-market excluded)."""
        sched = self.schedule(exchange)
        ts = _as_utc(at).timestamp()
        i = sched.last_open_at(ts)
        return i >= 0 and ts < sched.close_list[i]

    def status(self, exchange: str, now: datetime) -> ExchangeStatus:
        spec, sched = self.spec(exchange), self.schedule(exchange)
        now = _as_utc(now)
        ts = now.timestamp()
        tz = ZoneInfo(spec.timezone)
        local_day = now.astimezone(tz).date()
        self._check_range(local_day, local_day)

        i = sched.index_of(local_day)
        s_open = sched.open_list[i] if i >= 0 else None
        s_close = sched.close_list[i] if i >= 0 else None
        k_open = bisect_right(sched.open_list, ts)     # first open strictly after now
        k_close = bisect_right(sched.close_list, ts)
        is_open = self.is_trading_time(exchange, now)

        if spec.xcals is None and not spec.weekdays_only:  # 24/7: no next open/close to tell
            next_open = next_close = None
        else:
            next_open = _utc(sched.open_list[k_open]) if k_open < len(sched.open_list) else None
            next_close = _utc(sched.close_list[k_close]) if k_close < len(sched.close_list) else None

        state = "open" if is_open else "closed"
        if not is_open and s_open is not None and s_close is not None:
            state = self._extended_state(spec, local_day, tz, ts, s_open, s_close)
        return ExchangeStatus(
            exchange=spec.code, name=spec.name, timezone=spec.timezone, state=state,
            is_open=is_open, as_of=now, next_open=next_open, next_close=next_close,
            session_open=_utc(s_open) if s_open is not None else None,
            session_close=_utc(s_close) if s_close is not None else None,
            holidays=self.upcoming_holidays(exchange, local_day),
        )

    def upcoming_holidays(self, exchange: str, after: date,
                          days: int = HOLIDAY_LOOKAHEAD_DAYS) -> list[dict]:
        """Weekdays in (after, after + days] on which the exchange is closed, with names."""
        spec, sched = self.spec(exchange), self.schedule(exchange)
        if spec.xcals is None:
            return []
        until = min(after + timedelta(days=days), self.end)
        if until <= after:
            return []
        grid = np.arange(np.datetime64(after + timedelta(days=1), "D"),
                         np.datetime64(until + timedelta(days=1), "D"))
        weekdays = grid[np.is_busday(grid)]
        closed = weekdays[~np.isin(weekdays, sched.days)]
        names = self._names(exchange)
        out = []
        for d in closed.astype(object).tolist():
            name = names.get(d)
            if name is None and exchange == "XNSE":
                name = _INDIA_FIXED_HOLIDAYS.get((d.month, d.day))
            out.append({"date": d, "name": name or "Holiday"})
        return out

    # -- construction ----------------------------------------------------------------------

    def _check_range(self, start: date, end: date) -> None:
        if start < self.start or end > self.end:
            raise ValueError(f"dates outside the calendar range {self.start}..{self.end}")

    def _extended_state(self, spec: ExchangeSpec, day: date, tz: ZoneInfo, ts: float,
                        s_open: int, s_close: int) -> str:
        def local(t: time) -> float:
            return datetime.combine(day, t, tz).timestamp()

        if spec.pre_open is not None and local(spec.pre_open) <= ts < s_open:
            return "pre_market"
        if spec.post_close is not None:
            post_end = spec.post_close
            regular_close = datetime.combine(day, time(16, 0), tz).timestamp()
            if spec.early_post_close is not None and s_close < regular_close:
                post_end = spec.early_post_close  # extended hours end early on half days too
            post_start = local(spec.post_start) if spec.post_start else s_close
            if post_start <= ts < local(post_end):
                return "post_market"
        return "closed"

    def _build(self, spec: ExchangeSpec) -> Schedule:
        if spec.xcals is None:
            days = np.arange(np.datetime64(self.start, "D"),
                             np.datetime64(self.end + timedelta(days=1), "D"))
            if spec.weekdays_only:
                days = days[np.is_busday(days)]
            opens = days.astype("datetime64[s]").astype(np.int64)
            return Schedule.build(spec.code, days, opens, opens + DAY)

        import exchange_calendars as xcals  # slow import; only when a calendar is first needed

        start = pd.Timestamp(self.start)
        with warnings.catch_warnings():
            # exchange_calendars 4.13 trips a pandas 3 deprecation internally; not ours to fix.
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            try:
                cal = xcals.get_calendar(spec.xcals, start=start, end=pd.Timestamp(self.end))
            except ValueError:
                # Holidays not published that far ahead: take what is recorded, extend the rest.
                bound = type(xcals.get_calendar(spec.xcals, start=start)).bound_max()
                cal = xcals.get_calendar(spec.xcals, start=start, end=bound)
        cal_end = cal.last_session.date()
        sched = cal.schedule
        days = sched.index.values.astype("datetime64[D]")
        opens, closes = (sched[col].dt.tz_convert(None).to_numpy().astype("datetime64[s]")
                         .astype(np.int64) for col in ("open", "close"))
        self._holiday_names[spec.code] = self._xcals_holiday_names(cal)
        if cal_end < self.end:
            ext = self._extend(spec, cal, cal_end + timedelta(days=1), self.end)
            days, opens, closes = (np.concatenate([a, b]) for a, b in zip((days, opens, closes), ext))
        return Schedule.build(spec.code, days, opens, closes)

    def _extend(self, spec: ExchangeSpec, cal, start: date, end: date):
        """Sessions past the calendar's recorded holidays: weekdays minus fixed-date holidays."""
        tz = ZoneInfo(spec.timezone)
        t_open, t_close = cal.open_times[-1][1], cal.close_times[-1][1]
        grid = np.arange(np.datetime64(start, "D"), np.datetime64(end + timedelta(days=1), "D"))
        days = [d for d in grid[np.is_busday(grid)].astype(object).tolist()
                if (d.month, d.day) not in _INDIA_FIXED_HOLIDAYS]
        opens = [int(datetime.combine(d, t_open, tz).timestamp()) for d in days]
        closes = [int(datetime.combine(d, t_close, tz).timestamp()) for d in days]
        return (np.array(days, dtype="datetime64[D]"), np.array(opens, dtype=np.int64),
                np.array(closes, dtype=np.int64))

    def _names(self, exchange: str) -> dict[date, str]:
        self.schedule(exchange)
        return self._holiday_names.get(exchange, {})

    def _xcals_holiday_names(self, cal) -> dict[date, str]:
        if cal.regular_holidays is None:
            return {}
        named = cal.regular_holidays.holidays(pd.Timestamp(self.start), pd.Timestamp(self.end),
                                              return_name=True)
        return {ts.date(): str(name) for ts, name in named.items()}
