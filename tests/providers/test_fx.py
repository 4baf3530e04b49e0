"""Currency pairs from real vendors over local HTTP: Alpha Vantage's CURRENCY_EXCHANGE_RATE and
the ECB's euro reference-rate files, with the bodies they serve."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.adapters.providers.ecb import EcbProvider
from stockflow.core.resilience.errors import ProviderBadData, ProviderNotFound
from stockflow.market.domain import Interval, bar_is_valid, quote_is_valid
from stockflow.market.routing import classify_ticker

# `av` is test_alphavantage's fixture, the client against the local vendor server.
from tests.providers.test_alphavantage import KEY, av  # noqa: F401


@pytest.fixture
async def ecb(vendor):
    p = EcbProvider(base_url=vendor.url, timeout=0.3)
    yield p
    await p.aclose()


def test_currency_pairs_route_to_the_fx_chain():
    assert [classify_ticker(t) for t in ("EURUSD", "usdjpy", "AAPL", "BTC-USD", "EURXYZ")] == [
        "fx", "fx", "equity", "crypto", "equity"]


async def test_alphavantage_exchange_rate_without_a_book(vendor, av):  # noqa: F811
    vendor.route("/query", "alphavantage/currency_exchange_rate_USD_JPY_no_bid_ask.json")
    q = await av.quote("usdjpy")
    assert (q.ticker, q.price, q.bid, q.ask, q.provider) == ("USDJPY", 106.89, 106.89, 106.89,
                                                             "alphavantage")
    assert q.time == datetime(2020, 5, 3, 20, 50, 48, tzinfo=UTC) and quote_is_valid(q)
    assert vendor.last.query == {"function": ["CURRENCY_EXCHANGE_RATE"],
                                 "from_currency": ["USD"], "to_currency": ["JPY"],
                                 "apikey": [KEY]}


async def test_alphavantage_exchange_rate_with_bid_and_ask_checks_the_pair(vendor, av):  # noqa: F811
    vendor.route("/query", "alphavantage/currency_exchange_rate_BTC_CNY.json")
    # The body is BTC/CNY: asked for USD/CNY, it is the wrong answer, not a rate to trust.
    with pytest.raises(ProviderBadData, match="USD/CNY"):
        await av.quote("USDCNY")


async def test_alphavantage_rate_limit_note_on_an_fx_call(vendor, av):  # noqa: F811
    from stockflow.core.resilience.errors import ProviderRateLimited

    vendor.route("/query", "alphavantage/note_rate_limit_5_per_minute.json")
    with pytest.raises(ProviderRateLimited):
        await av.quote("EURUSD")


async def test_ecb_daily_reference_rates_cross_through_the_euro(vendor, ecb):
    vendor.route("/stats/eurofxref/eurofxref-daily.xml", "fx/ecb_eurofxref-daily_2018-06-11.xml",
                 headers={"Content-Type": "text/xml"})
    eurusd, usdjpy, gbpusd = await ecb.quotes(["EURUSD", "USDJPY", "GBPUSD"])
    assert eurusd.price == 1.1790 and eurusd.provider == "ecb"
    assert usdjpy.price == pytest.approx(129.62 / 1.1790)
    assert gbpusd.price == pytest.approx(1.1790 / 0.88180)
    assert eurusd.time == datetime(2018, 6, 11, 15, tzinfo=UTC)
    assert all(quote_is_valid(q) for q in (eurusd, usdjpy, gbpusd))


async def test_ecb_daily_bars_from_the_90_day_file(vendor, ecb):
    vendor.route("/stats/eurofxref/eurofxref-hist-90d.xml",
                 "fx/ecb_eurofxref-hist-90d_2018-06-11_trimmed.xml")
    vendor.route("/stats/eurofxref/eurofxref-hist.xml",
                 "fx/ecb_eurofxref-hist-90d_2018-06-11_trimmed.xml")
    bars = await ecb.bars("EURUSD", Interval.D1, datetime(2018, 6, 6, tzinfo=UTC),
                          datetime(2018, 6, 11, tzinfo=UTC))
    assert [b.time.date().isoformat() for b in bars] == ["2018-06-06", "2018-06-07",
                                                          "2018-06-08"]
    assert all(bar_is_valid(b) and b.open == b.close for b in bars)
    with pytest.raises(ProviderNotFound):
        await ecb.bars("EURUSD", Interval.M1, datetime(2018, 6, 6, tzinfo=UTC),
                       datetime(2018, 6, 7, tzinfo=UTC))


async def test_ecb_malformed_file_is_bad_data(vendor, ecb):
    vendor.route("/stats/eurofxref/eurofxref-daily.xml", body="<html>maintenance</html")
    with pytest.raises(ProviderBadData):
        await ecb.quote("EURUSD")
