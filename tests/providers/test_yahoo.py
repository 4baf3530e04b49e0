"""Yahoo adapter against responses recorded live by node-yahoo-finance2's test suite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.adapters.providers.yahoo import YahooProvider
from stockflow.adapters.providers.yahoo.symbols import from_vendor, to_vendor
from stockflow.core.resilience.errors import (
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.domain import Interval, bar_is_valid, quote_is_valid

CHART = "/v8/finance/chart/AAPL"


@pytest.fixture
async def yahoo(vendor):
    p = YahooProvider(base_url=vendor.url, timeout=0.3)
    yield p
    await p.aclose()


def test_symbols():
    assert to_vendor("RELIANCE") == "RELIANCE.NS" and to_vendor("NSE:TCS") == "TCS.NS"
    assert to_vendor("btc-usd") == "BTC-USD" and to_vendor("BRK.B") == "BRK-B"
    assert to_vendor("AAPL") == "AAPL"
    assert from_vendor("RELIANCE.NS") == "RELIANCE" and from_vendor("BRK-B") == "BRK.B"


async def test_daily_bars_49_sessions(vendor, yahoo):
    vendor.route(CHART, "yahoo/v8_chart_AAPL_1d_2020-08-31_2020-11-07.json")
    start, end = datetime(2020, 8, 31, tzinfo=UTC), datetime(2020, 11, 7, tzinfo=UTC)
    bars = await yahoo.bars("AAPL", Interval.D1, start, end)
    assert len(bars) == 49 and all(bar_is_valid(b) for b in bars)
    first, last = bars[0], bars[-1]
    assert first.time == datetime(2020, 8, 31, tzinfo=UTC)  # 13:30 UTC open → session date
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        127.58000183105469, 131, 126, 129.0399932861328, 225702700)
    assert last.time == datetime(2020, 11, 6, tzinfo=UTC)
    assert (last.open, last.close, last.volume) == (118.31999969482422, 118.69000244140625,
                                                    114457900)
    assert vendor.last.query["period1"] == ["1598832000"]
    assert vendor.last.query["period2"] == ["1604707200"]
    assert vendor.last.query["interval"] == ["1d"]


async def test_one_bar(vendor, yahoo):
    vendor.route(CHART, "yahoo/v8_chart_AAPL_1d_2020-01-01_2020-01-03.json")
    [b] = await yahoo.bars("AAPL", Interval.D1, datetime(2020, 1, 1, tzinfo=UTC),
                           datetime(2020, 1, 3, tzinfo=UTC))
    assert (b.time, b.open, b.high, b.low, b.close, b.volume) == (
        datetime(2020, 1, 2, tzinfo=UTC), 74.05999755859375, 75.1500015258789,
        73.79750061035156, 75.0875015258789, 135480400)


async def test_weekend_window_is_empty(vendor, yahoo):
    vendor.route(CHART, "yahoo/v8_chart_AAPL_1m_2025-02-01_weekend_no_bars.json")
    assert await yahoo.bars("AAPL", Interval.M1, datetime(2025, 2, 1, tzinfo=UTC),
                            datetime(2025, 2, 2, tzinfo=UTC)) == []
    assert vendor.last.query["interval"] == ["1m"]


async def test_quote_from_chart_meta(vendor, yahoo):
    vendor.route(CHART, "yahoo/v8_chart_AAPL_1m_2025-02-01_weekend_no_bars.json")
    q = await yahoo.quote("AAPL")
    assert (q.ticker, q.provider, q.price, q.bid, q.ask) == ("AAPL", "yahoo", 244.87, 244.87,
                                                             244.87)
    assert q.time == datetime.fromtimestamp(1739998801, UTC)
    assert (q.high, q.low, q.volume) == (246.01, 243.16, 32129951)
    assert q.prev_close == 244.47 and q.open == 0.0  # previousClose wins over chartPreviousClose
    assert quote_is_valid(q)
    assert vendor.last.query == {"range": ["1d"], "interval": ["1d"]}


async def test_quote_falls_back_to_chart_previous_close(vendor, yahoo):
    vendor.route(CHART, "yahoo/v8_chart_AAPL_1d_2022-02-22.json")
    q = await yahoo.quote("AAPL")
    assert (q.price, q.prev_close, q.open) == (220.003, 167.3, 0.0)  # bar is another day


async def test_v7_quote_with_book(vendor, yahoo):
    vendor.route("/v7/finance/quote", "yahoo/v7_quote_AAPL.json")
    [q] = await yahoo.quotes_v7(["AAPL"])
    assert (q.price, q.bid, q.ask, q.bid_size, q.ask_size) == (244.6, 244.44, 253.37, 2, 1)
    assert (q.open, q.high, q.low, q.prev_close, q.volume) == (241.07, 245.41, 241, 241.53,
                                                               40896227)
    assert q.time == datetime.fromtimestamp(1739566800, UTC)
    assert vendor.last.query["symbols"] == ["AAPL"]


async def test_nse_ticker_goes_out_as_ns(vendor, yahoo):
    vendor.route("/v8/finance/chart/RELIANCE.NS", "yahoo/v8_chart_AAPL_1d_2022-02-22.json")
    with pytest.raises(ProviderBadData, match="asked for RELIANCE.NS, got 'AAPL'"):
        await yahoo.quote("RELIANCE")


@pytest.mark.parametrize("status", [404, 200])
async def test_no_data_found_is_not_found(vendor, yahoo, status):
    vendor.route(CHART, "yahoo/v8_chart_error_no_data_found.json", status=status)
    with pytest.raises(ProviderNotFound, match="symbol may be delisted"):
        await yahoo.quote("AAPL")


async def test_quote_summary_404_envelope_is_not_found(vendor, yahoo):
    vendor.route(CHART, "yahoo/v10_quoteSummary_assetProfile_VXAPL_404.json", status=404)
    with pytest.raises(ProviderNotFound, match="No fundamentals data"):
        await yahoo.quote("AAPL")


@pytest.mark.parametrize("body", [
    "not json", {"chart": {"result": [], "error": None}}, {"chart": {}},
    {"chart": {"result": [{"meta": {"symbol": "AAPL", "regularMarketPrice": 0,
                                    "regularMarketTime": 1}}], "error": None}},
])
async def test_bad_bodies(vendor, yahoo, body):
    vendor.route(CHART, body=body)
    with pytest.raises(ProviderBadData):
        await yahoo.quote("AAPL")


async def test_faults(vendor, yahoo):
    vendor.route(CHART, body="Too Many Requests", status=429,
                 headers={"Content-Type": "text/plain", "Retry-After": "30"})
    with pytest.raises(ProviderRateLimited) as e:
        await yahoo.quote("AAPL")
    assert e.value.retry_after == 30.0
    vendor.route(CHART, body={}, status=500)
    with pytest.raises(ProviderUnavailable):
        await yahoo.quote("AAPL")
    vendor.route(CHART, body={}, delay=1.0)
    with pytest.raises(ProviderUnavailable):
        await yahoo.quote("AAPL")
