"""Market calendars: sessions, hours, holidays and market status for known dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stockflow.market.calendar import MarketCalendars


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def cals() -> MarketCalendars:
    return MarketCalendars(today=date(2026, 11, 22))


def test_construction_is_lazy() -> None:
    cals = MarketCalendars(today=date(2026, 11, 22))
    assert cals._schedules == {}
    assert cals.end == date(2028, 12, 31)


@pytest.mark.parametrize("exchange", ["XNYS", "XNAS", "XNSE", "CRYPTO"])
def test_covers_2015_to_two_years_ahead(cals: MarketCalendars, exchange: str) -> None:
    sessions = cals.sessions(exchange, date(2015, 1, 1), date(2028, 12, 31))
    assert sessions[0] <= date(2015, 1, 5)
    assert sessions[-1] >= date(2028, 11, 22)


def test_sessions_skip_weekends_and_holidays(cals: MarketCalendars) -> None:
    us = cals.sessions("XNYS", date(2025, 12, 20), date(2025, 12, 31))
    assert date(2025, 12, 25) not in us
    assert all(d.weekday() < 5 for d in us)
    assert date(2025, 12, 24) in us
    nse = cals.sessions("XNSE", date(2025, 10, 15), date(2025, 10, 31))
    assert date(2025, 10, 21) not in nse  # Diwali (Laxmi Pujan)
    assert date(2025, 10, 20) in nse
    assert not cals.is_session("XNSE", date(2025, 10, 22))


def test_crypto_trades_every_day(cals: MarketCalendars) -> None:
    days = cals.sessions("CRYPTO", date(2025, 12, 20), date(2025, 12, 31))
    assert len(days) == 12


def test_nse_extends_past_published_holidays(cals: MarketCalendars) -> None:
    days = cals.sessions("XNSE", date(2027, 1, 20), date(2027, 1, 31))
    assert date(2027, 1, 26) not in days  # Republic Day, a fixed-date holiday
    assert date(2027, 1, 25) in days
    assert date(2027, 1, 30) not in days  # Saturday


def test_session_bounds(cals: MarketCalendars) -> None:
    assert cals.session_bounds("XNYS", date(2025, 11, 21)) == (utc(2025, 11, 21, 14, 30),
                                                               utc(2025, 11, 21, 21))
    assert cals.session_bounds("XNYS", date(2025, 7, 1)) == (utc(2025, 7, 1, 13, 30),
                                                             utc(2025, 7, 1, 20))
    assert cals.session_bounds("XNYS", date(2025, 11, 28))[1] == utc(2025, 11, 28, 18)
    assert cals.session_bounds("XNSE", date(2025, 11, 21)) == (utc(2025, 11, 21, 3, 45),
                                                               utc(2025, 11, 21, 10))
    assert cals.session_bounds("CRYPTO", date(2025, 11, 22)) == (utc(2025, 11, 22),
                                                                 utc(2025, 11, 23))
    with pytest.raises(ValueError):
        cals.session_bounds("XNYS", date(2025, 11, 22))


@pytest.mark.parametrize(("exchange", "day", "count"), [
    ("XNYS", date(2025, 11, 21), 390),
    ("XNAS", date(2025, 11, 28), 210),  # day after Thanksgiving: 13:00 close
    ("XNSE", date(2025, 11, 21), 375),
    ("CRYPTO", date(2025, 11, 22), 1440),
])
def test_minutes(cals: MarketCalendars, exchange: str, day: date, count: int) -> None:
    minutes = cals.minutes(exchange, day)
    assert len(minutes) == count
    assert minutes[0] == cals.session_bounds(exchange, day)[0]


def test_status_open(cals: MarketCalendars) -> None:
    st = cals.status("XNYS", utc(2025, 11, 21, 15))
    assert (st.state, st.is_open) == ("open", True)
    assert st.next_close == utc(2025, 11, 21, 21)
    assert st.next_open == utc(2025, 11, 24, 14, 30)
    assert (st.session_open, st.session_close) == (utc(2025, 11, 21, 14, 30), utc(2025, 11, 21, 21))
    assert st.timezone == "America/New_York"


def test_status_weekend(cals: MarketCalendars) -> None:
    st = cals.status("XNYS", utc(2025, 11, 22, 12))
    assert (st.state, st.is_open) == ("closed", False)
    assert st.next_open == utc(2025, 11, 24, 14, 30)
    assert st.session_open is None


@pytest.mark.parametrize(("exchange", "at", "state"), [
    ("XNYS", utc(2025, 11, 21, 10), "pre_market"),
    ("XNYS", utc(2025, 11, 21, 22), "post_market"),
    ("XNYS", utc(2025, 11, 21, 1, 30), "closed"),
    ("XNAS", utc(2025, 11, 28, 19), "post_market"),   # early close, extended hours to 17:00 ET
    ("XNAS", utc(2025, 11, 28, 23), "closed"),
    ("XNSE", utc(2025, 11, 21, 3, 35), "pre_market"),  # 09:05 IST pre-open
    ("XNSE", utc(2025, 11, 21, 5), "open"),
    ("XNSE", utc(2025, 11, 21, 10, 5), "closed"),     # 15:35 IST, closing price being computed
    ("XNSE", utc(2025, 11, 21, 10, 15), "post_market"),
    ("XNSE", utc(2025, 10, 21, 5), "closed"),         # Diwali
])
def test_status_states(cals: MarketCalendars, exchange: str, at: datetime, state: str) -> None:
    assert cals.status(exchange, at).state == state


@pytest.mark.parametrize("at", [utc(2025, 11, 22, 12), utc(2025, 12, 25, 3), utc(2026, 2, 28, 23, 59)])
def test_crypto_always_open(cals: MarketCalendars, at: datetime) -> None:
    st = cals.status("CRYPTO", at)
    assert st.is_open and st.state == "open"
    assert st.next_open is None and st.next_close is None
    assert st.holidays == []
    assert cals.is_trading_time("CRYPTO", at)


def test_upcoming_holidays_have_names(cals: MarketCalendars) -> None:
    us = cals.status("XNYS", utc(2025, 11, 21, 15)).holidays
    assert {"date": date(2025, 11, 27), "name": "Thanksgiving"} in us
    assert {"date": date(2025, 12, 25), "name": "Christmas"} in us
    assert all((h["date"] - date(2025, 11, 21)).days <= 90 for h in us)
    nse = cals.status("XNSE", utc(2025, 10, 1, 5)).holidays
    assert {"date": date(2025, 10, 2), "name": "Gandhi Jayanti"} in nse
    assert any(h["date"] == date(2025, 10, 21) for h in nse)


def test_is_trading_time(cals: MarketCalendars) -> None:
    assert cals.is_trading_time("XNYS", utc(2025, 11, 21, 14, 30))
    assert not cals.is_trading_time("XNYS", utc(2025, 11, 21, 21))
    assert not cals.is_trading_time("XNYS", utc(2025, 12, 25, 16))
    assert cals.is_trading_time("XNSE", utc(2025, 11, 21, 4))


def test_errors(cals: MarketCalendars) -> None:
    with pytest.raises(KeyError):
        cals.sessions("XLON", date(2025, 1, 1), date(2025, 2, 1))
    with pytest.raises(ValueError):
        cals.sessions("XNYS", date(2010, 1, 1), date(2025, 2, 1))


def test_status_to_wire_is_json_ready(cals: MarketCalendars) -> None:
    wire = cals.status("XNYS", utc(2025, 11, 21, 15)).to_wire()
    assert wire["next_close"] == "2025-11-21T21:00:00Z"
    assert wire["state"] == "open" and wire["is_open"] is True
    assert {"date": "2025-11-27", "name": "Thanksgiving"} in wire["holidays"]
