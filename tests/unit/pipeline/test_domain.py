"""Pipeline domain rules: symbol mapping, timestamp forms, tick validation."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from stockflow.pipeline.domain import (
    RejectReason,
    TickRejected,
    iso_time,
    normalise_symbol,
    parse_tick,
    parse_ts,
)

US = 1_700_000_000_123_456          # 2023-11-14T22:13:20.123456Z


def raw(**over) -> dict:
    base = {"provider": "binance", "symbol": "BTCUSDT", "seq": 1, "ts": US, "price": 100.0,
            "size": 2, "bid": 99.5, "ask": 100.5, "bid_size": 3, "ask_size": 4,
            "prev_close": 90.0}
    base.update(over)
    return base


@pytest.mark.parametrize(("provider", "symbol", "ticker"), [
    ("binance", "BTCUSDT", "BTC-USD"),
    ("binance", "ETHUSDT", "ETH-USD"),
    ("binance", "ethusdc", "ETH-USD"),
    ("binance", "btc/usdt", "BTC-USD"),
    ("binance", "BTCEUR", "BTC-EUR"),
    ("okx", "BTC-USDT", "BTC-USD"),
    ("kraken", "XBTUSD", "BTC-USD"),
    ("coinbase", "BTC-USD", "BTC-USD"),
    ("sim", "SOLUSDT", "SOL-USD"),      # a stablecoin suffix is unambiguous from anyone
    ("dhan", "NSE:RELIANCE", "RELIANCE"),
    ("dhan", "RELIANCE-EQ", "RELIANCE"),
    ("dhan", "nse:infy-eq", "INFY"),
    ("yahoo", "RELIANCE.NS", "RELIANCE"),
    ("yahoo", "TCS.BO", "TCS"),
    ("sim", "aapl", "AAPL"),
    ("sim", " spy ", "SPY"),
    ("sim", "BRK.B", "BRK.B"),          # only known exchange suffixes are cut
    ("sim", "BTCUSD", "BTCUSD"),        # a bare fiat suffix is split for crypto venues only
])
def test_symbol_rules(provider: str, symbol: str, ticker: str) -> None:
    assert normalise_symbol(provider, symbol) == ticker


def test_explicit_map_wins() -> None:
    by_symbol = {"BTCUSDT": "XBT-USD", "HDFC": "hdfcbank"}
    assert normalise_symbol("binance", "BTCUSDT", by_symbol) == "XBT-USD"
    assert normalise_symbol("dhan", "HDFC", by_symbol) == "HDFCBANK"
    by_provider = {("dhan", "1333"): "HDFCBANK", "1333": "WRONG"}
    assert normalise_symbol("dhan", "1333", by_provider) == "HDFCBANK"
    assert normalise_symbol("other", "1333", by_provider) == "WRONG"
    assert normalise_symbol("binance", "ETHUSDT", by_symbol) == "ETH-USD"


@pytest.mark.parametrize("value", [
    US,                                          # epoch µs
    1_700_000_000.123456,                        # epoch s
    US * 1000 + 789,                             # epoch ns (sub-µs digits cut)
    "2023-11-14T22:13:20.123456Z",
    "2023-11-14T22:13:20.123456+00:00",
    "2023-11-15T03:43:20.123456+05:30",
    "2023-11-14T17:13:20.123456-05:00",
    "2023-11-14T22:13:20.123456789Z",            # ns in ISO: cut to µs
    "2023-11-14 22:13:20.123456",                # no offset: UTC
    str(US),
    "1700000000.123456",
    datetime(2023, 11, 15, 3, 43, 20, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
])
def test_every_timestamp_form_gives_the_same_microseconds(value) -> None:
    assert parse_ts(value) == US


def test_float_seconds_keep_microseconds() -> None:
    for us in range(0, 1_000_000, 7_919):
        ts = 1_760_000_000 * 1_000_000 + us
        assert parse_ts(ts / 1e6) == ts


@pytest.mark.parametrize("value", ["yesterday", "", None, True, math.nan, math.inf, -5, [1]])
def test_bad_timestamps_raise(value) -> None:
    with pytest.raises((ValueError, TypeError)):
        parse_ts(value)


def test_iso_time_always_has_microseconds() -> None:
    assert iso_time(US) == "2023-11-14T22:13:20.123456Z"
    assert iso_time(1_700_000_000_000_000) == "2023-11-14T22:13:20.000000Z"
    assert datetime.fromisoformat(iso_time(US)) == datetime(2023, 11, 14, 22, 13, 20, 123456,
                                                           tzinfo=UTC)


def test_parse_tick_accepts_and_normalises() -> None:
    t = parse_tick(raw(ts="2023-11-14T22:13:20.123456Z", price=100, size=5.0, bid_size=3.0))
    assert t == ("binance", "BTCUSDT", 1, US, 100.0, 5, 99.5, 100.5, 3, 4, 90.0)
    assert type(t[4]) is float and type(t[5]) is int
    # optional fields may be absent; a locked book (bid == ask) is fine
    minimal = {k: raw()[k] for k in ("provider", "symbol", "seq", "ts", "price", "size")}
    assert parse_tick(minimal)[6:] == (None, None, None, None, None)
    assert parse_tick(raw(bid=100.0, ask=100.0))[6:8] == (100.0, 100.0)
    assert parse_tick(raw(size=0.25))[5] == 0.25


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, "x", True])
def test_a_bad_prev_close_is_dropped_not_fatal(bad) -> None:
    assert parse_tick(raw(prev_close=bad))[10] is None


@pytest.mark.parametrize(("over", "reason"), [
    ({"price": None}, RejectReason.UNPARSABLE),
    ({"price": "100"}, RejectReason.UNPARSABLE),
    ({"price": True}, RejectReason.UNPARSABLE),
    ({"seq": "7"}, RejectReason.UNPARSABLE),
    ({"seq": 1.0}, RejectReason.UNPARSABLE),
    ({"symbol": ""}, RejectReason.UNPARSABLE),
    ({"provider": 3}, RejectReason.UNPARSABLE),
    ({"ts": "not a time"}, RejectReason.UNPARSABLE),
    ({"ts": None}, RejectReason.UNPARSABLE),
    ({"size": "1"}, RejectReason.UNPARSABLE),
    ({"size": math.nan}, RejectReason.UNPARSABLE),
    ({"bid_size": 1.5}, RejectReason.UNPARSABLE),
    ({"price": 0.0}, RejectReason.NON_POSITIVE_PRICE),
    ({"price": -3}, RejectReason.NON_POSITIVE_PRICE),
    ({"bid": 0.0}, RejectReason.NON_POSITIVE_PRICE),
    ({"price": math.nan}, RejectReason.NON_FINITE_PRICE),
    ({"price": math.inf}, RejectReason.NON_FINITE_PRICE),
    ({"price": -math.inf}, RejectReason.NON_FINITE_PRICE),
    ({"ask": math.nan}, RejectReason.NON_FINITE_PRICE),
    ({"bid": 101.0, "ask": 100.5}, RejectReason.CROSSED_QUOTE),
    ({"size": -1}, RejectReason.NEGATIVE_SIZE),
    ({"size": -0.5}, RejectReason.NEGATIVE_SIZE),
    ({"ask_size": -2}, RejectReason.NEGATIVE_SIZE),
])
def test_parse_tick_rejects_with_a_reason(over: dict, reason: RejectReason) -> None:
    with pytest.raises(TickRejected) as e:
        parse_tick(raw(**over))
    assert e.value.reason == reason
    assert e.value.detail


@pytest.mark.parametrize("field", ["provider", "symbol", "seq", "ts", "price", "size"])
def test_missing_required_field_is_unparsable(field: str) -> None:
    tick = raw()
    del tick[field]
    with pytest.raises(TickRejected) as e:
        parse_tick(tick)
    assert e.value.reason == "unparsable" and field in e.value.detail


@pytest.mark.parametrize("junk", [None, 42, "tick", ["provider"]])
def test_non_mapping_is_unparsable(junk) -> None:
    with pytest.raises(TickRejected) as e:
        parse_tick(junk)
    assert e.value.reason is RejectReason.UNPARSABLE
