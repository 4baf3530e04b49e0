"""CoinGecko adapter against the real documented payloads, served by the local test server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.adapters.providers.coingecko import CoinGeckoProvider
from stockflow.adapters.providers.coingecko.symbols import from_vendor, to_vendor
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.domain import Interval, bar_is_valid, quote_is_valid

KEY = "CG-demo-secret-key"
NOW = datetime(2024, 4, 2, 12, tzinfo=UTC)


@pytest.fixture
async def cg(vendor):
    p = CoinGeckoProvider(KEY, base_url=vendor.url, timeout=0.3, clock=lambda: NOW)
    yield p
    await p.aclose()


def test_symbol_map():
    assert to_vendor("btc-usd") == ("bitcoin", "usd")
    assert to_vendor("BNB-EUR") == ("binancecoin", "eur")
    assert to_vendor("AAPL") is None and to_vendor("BTC-XYZ") is None
    assert from_vendor("avalanche-2", "usd") == "AVAX-USD"


async def test_quote_from_simple_price_with_all_flags(vendor, cg):
    vendor.route("/simple/price", "coingecko/simple_price_bitcoin_usd_all_flags.json")
    q = await cg.quote("btc-usd")
    assert q.ticker == "BTC-USD" and q.provider == "coingecko"
    assert q.price == 67187.3358936566 == q.bid == q.ask
    assert q.time == datetime.fromtimestamp(1711356300, UTC)
    assert q.prev_close == pytest.approx(67187.3358936566 / 1.0363727894677354)
    assert q.volume == int(31260929299.5248 / 67187.3358936566)
    assert quote_is_valid(q)
    seen = vendor.last
    assert seen.query["ids"] == ["bitcoin"] and seen.query["vs_currencies"] == ["usd"]
    assert seen.query["include_24hr_change"] == ["true"]
    assert seen.headers["x-cg-demo-api-key"] == KEY


async def test_quote_minimal_body_uses_clock(vendor, cg):
    vendor.route("/simple/price", "coingecko/simple_price_bitcoin_usd_pycoingecko.json")
    q = await cg.quote("BTC-USD")
    assert q.price == 7984.89 and q.time == NOW and q.prev_close == 0.0 and q.volume == 0


async def test_no_key_no_header(vendor):
    vendor.route("/simple/price", "coingecko/simple_price_bitcoin_usd_pycoingecko.json")
    p = CoinGeckoProvider(base_url=vendor.url)
    await p.quote("BTC-USD")
    assert "x-cg-demo-api-key" not in vendor.last.headers
    await p.aclose()


async def test_rates(vendor, cg):
    vendor.route("/simple/price", "coingecko/simple_price_bitcoin_usd_all_flags.json")
    r = await cg.rates(["bitcoin"], ["USD"])
    assert r == {"bitcoin": {"usd": 67187.3358936566, "usd_market_cap": 1317802988326.25,
                             "usd_24h_vol": 31260929299.5248,
                             "usd_24h_change": 3.63727894677354,
                             "last_updated_at": 1711356300.0}}


async def test_rates_unknown_id_absent_all_unknown_is_not_found(vendor, cg):
    vendor.route("/simple/price", body={})
    with pytest.raises(ProviderNotFound):
        await cg.rates(["nocoin"], ["usd"])


async def test_markets_quotes_and_instruments(vendor, cg):
    vendor.route("/coins/markets", "coingecko/coins_markets_usd.json")
    [q] = await cg.markets()
    assert (q.ticker, q.price, q.high, q.low) == ("BTC-USD", 70187.0, 70215.0, 68060.0)
    assert q.prev_close == pytest.approx(70187 - 2126.88)
    assert q.volume == int(20154184933 / 70187)
    assert q.time == datetime(2024, 4, 7, 16, 49, 31, 736000, tzinfo=UTC)
    [inst] = await cg.instruments()
    assert (inst.ticker, inst.name, inst.market_cap) == ("BTC-USD", "Bitcoin", 1381651251183)


async def test_markets_2018_body_with_string_numbers(vendor, cg):
    vendor.route("/coins/markets", "coingecko/coins_markets_usd_pycoingecko.json")
    [q] = await cg.markets()
    assert q.price == 7015.11823787848
    assert q.prev_close == pytest.approx(7015.11823787848 - 299.72373285508)


async def test_daily_bars_from_market_chart(vendor, cg):
    vendor.route("/coins/bitcoin/market_chart", "coingecko/coins_bitcoin_market_chart_usd.json")
    bars = await cg.bars("BTC-USD", Interval.D1, datetime(2024, 3, 31, tzinfo=UTC),
                         datetime(2024, 4, 3, tzinfo=UTC))
    assert [b.time for b in bars] == [datetime(2024, 3, 31, tzinfo=UTC),
                                      datetime(2024, 4, 1, tzinfo=UTC)]
    b0, b1 = bars
    assert b0.open == b0.close == b0.high == b0.low == 69702.3087473573
    assert b0.volume == int(16408802301.8374 / 69702.3087473573)
    # 04-01 00:00 and 04-01 15:01:22 fall in one daily bucket: first → open, last → close.
    assert (b1.open, b1.high, b1.low, b1.close) == (
        71246.9514406015, 71246.9514406015, 68887.7495158568, 68887.7495158568)
    assert b1.volume == int(30137418199.6431 / 68887.7495158568)
    assert all(bar_is_valid(b) for b in bars)
    assert vendor.last.query == {"vs_currency": ["usd"], "days": ["3"], "interval": ["daily"]}


async def test_hourly_bars_from_5_minute_samples(vendor, cg):
    vendor.route("/coins/bitcoin/market_chart",
                 "coingecko/coins_bitcoin_market_chart_usd_days1_pycoingecko.json")
    bars = await cg.bars("BTC-USD", Interval.H1, datetime(2018, 8, 27, tzinfo=UTC),
                         datetime(2018, 8, 28, tzinfo=UTC))
    # 12:44:59 … 13:09:44 UTC: two hourly buckets.
    assert [(b.time.hour, b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        (12, 6756.942910425894, 6756.942910425894, 6668.291007556478, 6668.291007556478, 0),
        (13, 6703.7499879964, 6706.898948451269, 6703.7499879964, 6706.898948451269, 0),
    ]


async def test_unsupported_interval_and_ticker(cg):
    with pytest.raises(ProviderNotFound):
        await cg.quote("AAPL")
    with pytest.raises(Exception, match="interval"):
        await cg.bars("BTC-USD", Interval.M1, NOW, NOW)


async def test_429_body_with_retry_after(vendor, cg):
    vendor.route("/simple/price", "coingecko/error_429_rate_limit.json", status=429,
                 headers={"retry-after": "119"})
    with pytest.raises(ProviderRateLimited) as e:
        await cg.quote("BTC-USD")
    assert e.value.retry_after == 119.0 and "exceeded the Rate Limit" in str(e.value)
    assert KEY not in str(e.value)


async def test_unauthorised_key(vendor, cg):
    vendor.route("/simple/price", body={"status": {"error_code": 10002,
                                                   "error_message": "API Key Missing"}},
                 status=401)
    with pytest.raises(ProviderAuthError):
        await cg.quote("BTC-USD")


@pytest.mark.parametrize("body", [
    "{not json", {}, {"bitcoin": {"usd": 0}}, {"bitcoin": {"usd": -1.0}},
    {"bitcoin": {"usd": "NaN"}}, {"ethereum": {"usd": 3000.0}}, [],
])
async def test_bad_bodies_are_bad_data(vendor, cg, body):
    vendor.route("/simple/price", body=body)
    with pytest.raises(ProviderBadData):
        await cg.quote("BTC-USD")


async def test_timeout_and_500(vendor, cg):
    vendor.route("/simple/price", body={}, delay=1.0)
    with pytest.raises(ProviderUnavailable):
        await cg.quote("BTC-USD")
    vendor.route("/simple/price", body={}, status=500)
    with pytest.raises(ProviderUnavailable) as e:
        await cg.quote("BTC-USD")
    assert KEY not in str(e.value)
