"""Alpha Vantage adapter against the client's fixtures and the error bodies quoted in issues."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.adapters.providers.alphavantage import AlphaVantageProvider
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.domain import Interval, bar_is_valid, quote_is_valid

KEY = "AVKEYSECRET42"


@pytest.fixture
async def av(vendor):
    p = AlphaVantageProvider(KEY, base_url=vendor.url, timeout=0.3)
    yield p
    await p.aclose()


async def test_global_quote(vendor, av):
    vendor.route("/query", "alphavantage/global_quote_MSFT.json")
    q = await av.quote("msft")
    assert (q.ticker, q.provider, q.price, q.bid, q.ask) == ("MSFT", "alphavantage", 112.13,
                                                             112.13, 112.13)
    assert (q.open, q.high, q.low, q.prev_close, q.volume) == (112.63, 113.17, 110.64, 112.79,
                                                               29062853)
    assert q.time == datetime(2018, 10, 5, tzinfo=UTC)
    assert q.change == pytest.approx(-0.66)
    assert quote_is_valid(q)
    assert vendor.last.query == {"function": ["GLOBAL_QUOTE"], "symbol": ["MSFT"],
                                 "apikey": [KEY]}


async def test_intraday_bars_in_utc(vendor, av):
    vendor.route("/query", "alphavantage/time_series_intraday_MSFT_1min.json")
    bars = await av.bars("MSFT", Interval.M1, datetime(2017, 12, 18, tzinfo=UTC),
                         datetime(2017, 12, 19, tzinfo=UTC))
    assert len(bars) == 100 and all(bar_is_valid(b) for b in bars)
    # 13:17 US/Eastern (EST in December) is 18:17 UTC.
    first, last = bars[0], bars[-1]
    assert first.time == datetime(2017, 12, 18, 18, 17, tzinfo=UTC)
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        86.8101, 86.82, 86.79, 86.8, 31172)
    assert last.time == datetime(2017, 12, 18, 19, 56, tzinfo=UTC)
    assert (last.open, last.close, last.volume) == (86.49, 86.5, 10494)
    q = vendor.last.query
    assert q["function"] == ["TIME_SERIES_INTRADAY"] and q["interval"] == ["1min"]


async def test_daily_series_shape(vendor, av):
    # No verbatim TIME_SERIES_DAILY success body exists (SOURCES.md); the fields are the
    # intraday fixture's, under the daily key, to check date handling only.
    vendor.route("/query", body={
        "Meta Data": {"2. Symbol": "MSFT", "5. Time Zone": "US/Eastern"},
        "Time Series (Daily)": {"2018-10-05": {"1. open": "112.6300", "2. high": "113.1700",
                                               "3. low": "110.6400", "4. close": "112.1300",
                                               "5. volume": "29062853"}}})
    [b] = await av.bars("MSFT", Interval.D1, datetime(2018, 10, 1, tzinfo=UTC),
                        datetime(2018, 10, 6, tzinfo=UTC))
    assert b.time == datetime(2018, 10, 5, tzinfo=UTC) and b.close == 112.13
    assert vendor.last.query["function"] == ["TIME_SERIES_DAILY"]


async def test_note_is_rate_limited_at_200(vendor, av):
    vendor.route("/query", "alphavantage/note_rate_limit_5_per_minute.json")
    with pytest.raises(ProviderRateLimited) as e:
        await av.quote("MSFT")
    assert e.value.retry_after == 60.0 and "5 calls per minute" in str(e.value)
    assert KEY not in str(e.value)


async def test_information_daily_limit_is_rate_limited(vendor, av):
    # The "Information" form was seen only in third-party code (SOURCES.md); this is its text.
    vendor.route("/query", body={"Information": "Thank you for using Alpha Vantage! Our "
                                 "standard API rate limit is 25 requests per day."})
    with pytest.raises(ProviderRateLimited) as e:
        await av.quote("MSFT")
    assert e.value.retry_after is None


@pytest.mark.parametrize("fixture", ["alphavantage/error_message_TIME_SERIES_DAILY.json",
                                     "alphavantage/error_message_FX_DAILY.json"])
async def test_error_message_is_not_found(vendor, av, fixture):
    vendor.route("/query", fixture)
    with pytest.raises(ProviderNotFound, match="Invalid API call"):
        await av.bars("ZZZZ", Interval.D1, datetime(2018, 1, 1, tzinfo=UTC),
                      datetime(2018, 2, 1, tzinfo=UTC))


async def test_bad_key_error_message_is_auth(vendor, av):
    vendor.route("/query", body={"Error Message": "the parameter apikey is invalid or missing."})
    with pytest.raises(ProviderAuthError):
        await av.quote("MSFT")


async def test_empty_global_quote_is_not_found(vendor, av):
    vendor.route("/query", body={"Global Quote": {}})
    with pytest.raises(ProviderNotFound):
        await av.quote("MSFT")


@pytest.mark.parametrize("body", ["{", {}, {"Global Quote": {"01. symbol": "MSFT",
                                                              "05. price": "0.0000"}}])
async def test_bad_bodies(vendor, av, body):
    vendor.route("/query", body=body)
    with pytest.raises(ProviderBadData):
        await av.quote("MSFT")


async def test_wrong_symbol(vendor, av):
    vendor.route("/query", "alphavantage/global_quote_MSFT.json")
    with pytest.raises(ProviderBadData, match="asked for AAPL"):
        await av.quote("AAPL")


async def test_unsupported(av):
    assert av.supports("MSFT") and not av.supports("BTC-USD") and not av.supports("RELIANCE")
    with pytest.raises(ProviderNotFound):
        await av.quote("RELIANCE")


async def test_faults_do_not_leak_key(vendor, av):
    vendor.route("/query", body={}, status=503)
    with pytest.raises(ProviderUnavailable) as e:
        await av.quote("MSFT")
    assert KEY not in str(e.value) and "apikey=***" in str(e.value)
    vendor.route("/query", body={}, delay=1.0)
    with pytest.raises(ProviderUnavailable) as e:
        await av.quote("MSFT")
    assert KEY not in str(e.value)
    vendor.route("/query", body={}, status=429, headers={"Retry-After": "5"})
    with pytest.raises(ProviderRateLimited) as e:
        await av.quote("MSFT")
    assert e.value.retry_after == 5.0
