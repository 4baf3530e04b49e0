"""Polygon adapter against the vendor's spec examples, client mocks and quoted error bodies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.adapters.providers.polygon import PolygonProvider
from stockflow.adapters.providers.polygon.symbols import to_vendor
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.domain import Interval, bar_is_valid, quote_is_valid

KEY = "pk_live_secret_987"


@pytest.fixture
async def poly(vendor):
    p = PolygonProvider(KEY, base_url=vendor.url, timeout=0.3)
    yield p
    await p.aclose()


def _quote_routes(vendor, kind="spec_example"):
    vendor.route("/v2/last/trade/AAPL", f"polygon/v2_last_trade_AAPL_{kind}.json")
    vendor.route("/v2/last/nbbo/AAPL", f"polygon/v2_last_nbbo_AAPL_{kind}.json")
    vendor.route("/v2/aggs/ticker/AAPL/prev", "polygon/v2_aggs_ticker_AAPL_prev_client_mock.json")


def test_symbols():
    assert to_vendor("aapl") == "AAPL" and to_vendor("BRK.B") == "BRK.B"
    assert to_vendor("BTC-USD") == "X:BTCUSD"
    assert to_vendor("RELIANCE") is None and to_vendor("TCS") is None


async def test_quote_from_spec_examples(vendor, poly):
    _quote_routes(vendor)
    q = await poly.quote("aapl")
    assert (q.ticker, q.provider, q.price) == ("AAPL", "polygon", 129.8473)
    assert (q.bid, q.ask, q.bid_size, q.ask_size) == (127.96, 127.98, 1, 7)
    assert q.prev_close == 156.8
    assert q.time == datetime(2021, 4, 8, 17, 2, 22, 969834, tzinfo=UTC)  # trade is later
    assert quote_is_valid(q)
    assert {r.path for r in vendor.requests} == {
        "/v2/last/trade/AAPL", "/v2/last/nbbo/AAPL", "/v2/aggs/ticker/AAPL/prev"}
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in vendor.requests)
    assert all("apiKey" not in r.query for r in vendor.requests)


async def test_quote_from_client_mocks(vendor, poly):
    _quote_routes(vendor, "client_mock")
    q = await poly.quote("AAPL")
    assert (q.price, q.bid, q.ask, q.bid_size, q.ask_size) == (166.25, 155.65, 155.66, 1, 14)


async def test_key_in_query_mode(vendor):
    vendor.route("/v2/aggs/ticker/AAPL/prev", "polygon/v2_aggs_ticker_AAPL_prev_client_mock.json")
    p = PolygonProvider(KEY, base_url=vendor.url, key_in_query=True)
    assert await p.prev_close("AAPL") == 156.8
    assert vendor.last.query["apiKey"] == [KEY] and "authorization" not in vendor.last.headers
    await p.aclose()


async def test_daily_bars_client_mock(vendor, poly):
    path = f"/v2/aggs/ticker/AAPL/range/1/day/{1112313600000}/{1112659200000}"
    vendor.route(path, "polygon/v2_aggs_ticker_AAPL_range_1_day_2005-04-01_2005-04-04_client_mock.json")
    bars = await poly.bars("AAPL", Interval.D1, datetime(2005, 4, 1, tzinfo=UTC),
                           datetime(2005, 4, 5, tzinfo=UTC))
    assert [(b.time, b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        (datetime(2005, 4, 1, 5, tzinfo=UTC), 1.5032, 1.5064, 1.4489, 1.4604, 642646396),
        (datetime(2005, 4, 4, 4, tzinfo=UTC), 1.4639, 1.4754, 1.4343, 1.4675, 578172308),
    ]
    assert all(bar_is_valid(b) and b.interval is Interval.D1 for b in bars)
    assert vendor.last.query == {"adjusted": ["true"], "sort": ["asc"], "limit": ["50000"]}


async def test_bars_spec_example_and_window_filter(vendor, poly):
    start, end = datetime(2020, 1, 2, tzinfo=UTC), datetime(2020, 1, 3, tzinfo=UTC)
    vendor.route(f"/v2/aggs/ticker/AAPL/range/1/day/{1577923200000}/{1578009600000}",
                 "polygon/v2_aggs_ticker_AAPL_range_1_day_spec_example.json")
    [bar] = await poly.bars("AAPL", Interval.D1, start, end)  # the 01-03 bar is outside [s, e)
    assert (bar.open, bar.close, bar.volume) == (74.06, 75.0875, 135647456)


async def test_empty_aggs_is_no_bars(vendor, poly):
    vendor.route("/v2/aggs/ticker/AAPL/range/5/minute/0/60000",
                 body={"ticker": "AAPL", "queryCount": 0, "resultsCount": 0, "status": "OK"})
    assert await poly.bars("AAPL", Interval.M5, datetime.fromtimestamp(0, UTC),
                           datetime.fromtimestamp(60, UTC)) == []


@pytest.mark.parametrize("fixture", ["polygon/error_not_authorized_timeframe.json",
                                     "polygon/error_not_authorized_entitlement.json"])
@pytest.mark.parametrize("status", [200, 401, 403])
async def test_not_authorized_bodies(vendor, poly, fixture, status):
    vendor.route("/v2/aggs/ticker/AAPL/prev", fixture, status=status)
    with pytest.raises(ProviderAuthError) as e:
        await poly.prev_close("AAPL")
    assert "upgrade your plan" in str(e.value) and KEY not in str(e.value)


async def test_api_key_not_provided(vendor, poly):
    vendor.route("/v2/aggs/ticker/AAPL/prev", "polygon/error_api_key_not_provided.json",
                 status=400)
    with pytest.raises(ProviderAuthError, match="API Key was not provided"):
        await poly.prev_close("AAPL")


async def test_wrong_symbol_in_answer(vendor, poly):
    vendor.route("/v2/last/trade/MSFT", "polygon/v2_last_trade_AAPL_spec_example.json")
    vendor.route("/v2/last/nbbo/MSFT", "polygon/v2_last_nbbo_AAPL_spec_example.json")
    vendor.route("/v2/aggs/ticker/MSFT/prev", "polygon/v2_aggs_ticker_AAPL_prev_client_mock.json")
    with pytest.raises(ProviderBadData, match="got 'AAPL'"):
        await poly.quote("MSFT")


@pytest.mark.parametrize("results", [{}, {"T": "AAPL", "p": 0, "s": 1, "t": 1},
                                     {"T": "AAPL", "p": "inf", "s": 1, "t": 1}])
async def test_bad_trade_is_bad_data(vendor, poly, results):
    _quote_routes(vendor)
    vendor.route("/v2/last/trade/AAPL", body={"status": "OK", "results": results})
    with pytest.raises(ProviderBadData):
        await poly.quote("AAPL")


async def test_unknown_symbol_and_unmapped(vendor, poly):
    vendor.route("/v2/aggs/ticker/ZZZZ/prev", body={"status": "NOT_FOUND", "request_id": "x",
                                                    "message": "Data not found."}, status=404)
    with pytest.raises(ProviderNotFound):
        await poly.prev_close("ZZZZ")
    with pytest.raises(ProviderNotFound):
        await poly.quote("RELIANCE")


async def test_faults(vendor, poly):
    vendor.route("/v2/aggs/ticker/AAPL/prev", body={"status": "ERROR"}, status=429,
                 headers={"Retry-After": "12"})
    with pytest.raises(ProviderRateLimited) as e:
        await poly.prev_close("AAPL")
    assert e.value.retry_after == 12.0
    vendor.route("/v2/aggs/ticker/AAPL/prev", body={}, status=503)
    with pytest.raises(ProviderUnavailable):
        await poly.prev_close("AAPL")
    vendor.route("/v2/aggs/ticker/AAPL/prev", body={}, delay=1.0)
    with pytest.raises(ProviderUnavailable) as e:
        await poly.prev_close("AAPL")
    assert KEY not in str(e.value)
    vendor.route("/v2/aggs/ticker/AAPL/prev", body="<html>")
    with pytest.raises(ProviderBadData):
        await poly.prev_close("AAPL")
