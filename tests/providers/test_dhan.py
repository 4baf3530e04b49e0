"""Dhan adapter against the v2 docs' marketfeed bodies and the documented live-feed layout."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from stockflow.adapters.providers.dhan import DhanProvider, packet
from stockflow.adapters.providers.dhan.symbols import from_vendor, to_vendor
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.domain import quote_is_valid
from stockflow.pipeline.domain import parse_tick

TOKEN = "eyJhbGciOiJIUzUxMiJ9.secret-jwt"
NOW = datetime(2024, 5, 2, 6, tzinfo=UTC)


@pytest.fixture
async def dhan(vendor):
    p = DhanProvider(TOKEN, client_id="1000000132", base_url=vendor.url, timeout=0.3,
                     clock=lambda: NOW)
    yield p
    await p.aclose()


def test_symbols():
    assert to_vendor("TCS") == ("NSE_EQ", 11536) and to_vendor("RELIANCE.NS") == ("NSE_EQ", 2885)
    assert to_vendor("nse_fno:49081") == ("NSE_FNO", 49081)
    assert to_vendor("AAPL") is None and to_vendor("FOO:1") is None
    assert from_vendor("NSE_EQ", "11536") == "TCS" and from_vendor("NSE_FNO", 49081) == \
        "NSE_FNO:49081"


async def test_ltp(vendor, dhan):
    vendor.route("/marketfeed/ltp", "dhan/v2_marketfeed_ltp.json", method="POST")
    qs = await dhan.ltp(["TCS", "NSE_FNO:49081", "NSE_FNO:49082"])
    assert [(q.ticker, q.price) for q in qs] == [
        ("TCS", 4520.0), ("NSE_FNO:49081", 368.15), ("NSE_FNO:49082", 694.35)]
    assert all(q.time == NOW and q.provider == "dhan" and quote_is_valid(q) for q in qs)
    seen = vendor.last
    assert seen.json() == {"NSE_EQ": [11536], "NSE_FNO": [49081, 49082]}
    assert seen.headers["access-token"] == TOKEN and seen.headers["client-id"] == "1000000132"
    assert seen.headers["content-type"] == "application/json"


async def test_ohlc(vendor, dhan):
    vendor.route("/marketfeed/ohlc", "dhan/v2_marketfeed_ohlc.json", method="POST")
    tcs, fno = await dhan.ohlc(["TCS", "NSE_FNO:49081"])
    assert (tcs.price, tcs.open, tcs.high, tcs.low, tcs.prev_close) == (
        4525.55, 4521.45, 4530.0, 4500.0, 4507.85)
    assert (fno.price, fno.open, fno.prev_close) == (368.15, 0.0, 368.15)


async def test_quote_with_depth(vendor, dhan):
    vendor.route("/marketfeed/quote", "dhan/v2_marketfeed_quote.json", method="POST")
    q = await dhan.quote("NSE_FNO:49081")
    # Buy side 77 × 1800; the sell side is empty (price 0), so ask falls back to last.
    assert (q.price, q.bid, q.bid_size, q.ask, q.ask_size) == (368.15, 77.0, 1800, 368.15, 0)
    assert q.time == NOW  # "01/01/1980 00:00:00" is Dhan's no-trade placeholder
    assert (q.volume, q.prev_close) == (0, 368.15)
    assert vendor.last.json() == {"NSE_FNO": [49081]}


async def test_missing_instrument_and_failure_status(vendor, dhan):
    vendor.route("/marketfeed/quote", "dhan/v2_marketfeed_quote.json", method="POST")
    with pytest.raises(ProviderBadData, match="NSE_EQ:11536"):
        await dhan.quote("TCS")
    vendor.route("/marketfeed/quote", body={"status": "failure", "data": {}}, method="POST")
    with pytest.raises(ProviderBadData):
        await dhan.quote("TCS")
    vendor.route("/marketfeed/ltp", body={"data": {"NSE_EQ": {"11536": {"last_price": 0}}},
                                          "status": "success"}, method="POST")
    with pytest.raises(ProviderBadData):
        await dhan.ltp(["TCS"])


async def test_unmapped(dhan):
    with pytest.raises(ProviderNotFound):
        await dhan.quote("AAPL")


async def test_http_faults(vendor, dhan):
    vendor.route("/marketfeed/ltp", body={}, status=401, method="POST")
    with pytest.raises(ProviderAuthError) as e:
        await dhan.ltp(["TCS"])
    assert TOKEN not in str(e.value)
    vendor.route("/marketfeed/ltp", body={}, status=429, method="POST",
                 headers={"Retry-After": "1"})
    with pytest.raises(ProviderRateLimited) as e:
        await dhan.ltp(["TCS"])
    assert e.value.retry_after == 1.0
    vendor.route("/marketfeed/ltp", body={}, status=500, method="POST")
    with pytest.raises(ProviderUnavailable):
        await dhan.ltp(["TCS"])
    vendor.route("/marketfeed/ltp", body={}, delay=1.0, method="POST")
    with pytest.raises(ProviderUnavailable) as e:
        await dhan.ltp(["TCS"])
    assert TOKEN not in str(e.value)


# Live feed: no binary capture exists (SOURCES.md), so packets are packed with the official
# client's struct formats, as live_feed_binary_layout.md documents them.
LTT = 1714629600  # 2024-05-02 06:00:00 UTC


def test_ticker_packet():
    data = struct.pack("<BHBIfI", 2, 16, 1, 11536, 4520.05, LTT)
    tick = packet(data, seq=7)
    assert tick == {"provider": "dhan", "symbol": "NSE_EQ:11536", "seq": 7,
                    "ts": LTT * 1_000_000, "price": 4520.05, "size": 0, "bid": None,
                    "ask": None, "bid_size": None, "ask_size": None, "prev_close": None}
    parse_tick(tick)


def test_quote_packet():
    data = struct.pack("<BHBIfHIfIIIffff", 4, 50, 1, 2885, 2931.4, 25, LTT, 2930.0, 1_200_000,
                       5000, 6000, 2920.0, 0.0, 2940.5, 2915.25)
    assert len(data) == 50
    tick = packet(data, seq=8)
    assert (tick["symbol"], tick["price"], tick["size"], tick["ts"]) == (
        "NSE_EQ:2885", 2931.4, 25, LTT * 1_000_000)


def test_full_packet_top_of_book():
    head = struct.pack("<BHBIfHIfIIIIIIffff", 8, 162, 2, 49081, 368.15, 50, LTT, 368.0, 900,
                       10, 20, 0, 0, 0, 360.0, 0.0, 370.0, 355.0)
    depth = struct.pack("<IIHHff", 1800, 75, 1, 2, 368.1, 368.2) + bytes(80)
    data = head + depth
    assert len(data) == 162
    tick = packet(data, seq=9)
    assert (tick["bid"], tick["ask"], tick["bid_size"], tick["ask_size"]) == (368.1, 368.2,
                                                                              1800, 75)
    assert tick["symbol"] == "NSE_FNO:49081"
    parse_tick(tick)


def test_prev_close_status_and_disconnect_packets():
    prev = packet(struct.pack("<BHBIfI", 6, 16, 1, 11536, 4507.85, 0), seq=0)
    assert prev == {"type": "prev_close", "provider": "dhan", "symbol": "NSE_EQ:11536",
                    "prev_close": 4507.85}
    assert packet(struct.pack("<BHBI", 7, 8, 1, 11536), seq=0) is None
    with pytest.raises(ProviderAuthError, match="807"):
        packet(struct.pack("<BHBIH", 50, 10, 0, 0, 807), seq=0)
    with pytest.raises(ProviderUnavailable, match="805"):
        packet(struct.pack("<BHBIH", 50, 10, 0, 0, 805), seq=0)
    with pytest.raises(ProviderBadData):
        packet(struct.pack("<BHBI", 4, 50, 1, 2885), seq=0)  # truncated quote
    with pytest.raises(ProviderBadData):
        packet(b"\x02", seq=0)
