"""Binance adapter against the official docs' examples (rest-api.md, web-socket-streams.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from stockflow.adapters.providers.binance import BinanceProvider, trade_event
from stockflow.adapters.providers.binance.symbols import from_vendor, to_vendor
from stockflow.core.resilience.errors import (
    ProviderBadData,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.domain import Interval, bar_is_valid, quote_is_valid
from stockflow.pipeline.domain import parse_tick
from tests.providers.conftest import payload_json

NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
async def bn(vendor):
    p = BinanceProvider(base_url=vendor.url, timeout=0.3, clock=lambda: NOW)
    yield p
    await p.aclose()


def test_symbols():
    assert to_vendor("btc-usd") == "BTCUSDT" and to_vendor("BNB-BTC") == "BNBBTC"
    assert to_vendor("AAPL") is None
    assert from_vendor("BTCUSDT") == "BTC-USD" and from_vendor("LTCBTC") == "LTC-BTC"
    assert from_vendor("XYZ") is None


async def test_quote_from_24hr_full(vendor, bn):
    vendor.route("/api/v3/ticker/24hr", "binance/api_v3_ticker_24hr_FULL.json")
    q = await bn.quote("BNB-BTC")
    assert (q.ticker, q.provider, q.price) == ("BNB-BTC", "binance", 4.000002)
    assert (q.bid, q.ask, q.bid_size, q.ask_size) == (4.0, 4.000002, 100, 100)
    assert (q.open, q.high, q.low, q.prev_close, q.volume) == (99.0, 100.0, 0.1, 0.10002, 8913)
    assert q.time == datetime.fromtimestamp(1499869899.040, UTC)
    assert quote_is_valid(q)
    assert vendor.last.query == {"symbol": ["BNBBTC"]}


async def test_quotes_in_one_call(vendor, bn):
    vendor.route("/api/v3/ticker/24hr", body=[payload_json("binance/api_v3_ticker_24hr_FULL.json")])
    [q] = await bn.quotes(["BNB-BTC"])
    assert q.price == 4.000002
    assert json.loads(vendor.last.query["symbols"][0]) == ["BNBBTC"]


async def test_last_price(vendor, bn):
    vendor.route("/api/v3/ticker/price", "binance/api_v3_ticker_price.json")
    q = await bn.last_price("LTC-BTC")
    assert (q.price, q.bid, q.ask, q.time) == (4.000002, 4.000002, 4.000002, NOW)


async def test_wrong_symbol_is_bad_data(vendor, bn):
    vendor.route("/api/v3/ticker/24hr", "binance/api_v3_ticker_24hr_FULL.json")
    with pytest.raises(ProviderBadData, match="asked for LTCBTC"):
        await bn.quote("LTC-BTC")


async def test_klines(vendor, bn):
    vendor.route("/api/v3/klines", "binance/api_v3_klines.json")
    start, end = datetime(2017, 7, 3, tzinfo=UTC), datetime(2017, 7, 4, tzinfo=UTC)
    [b] = await bn.bars("BNB-BTC", Interval.D1, start, end)
    assert (b.time, b.open, b.high, b.low, b.close, b.volume) == (
        datetime.fromtimestamp(1499040000, UTC), 0.0163479, 0.8, 0.015758, 0.015771, 148976)
    assert bar_is_valid(b)
    assert vendor.last.query == {"symbol": ["BNBBTC"], "interval": ["1d"],
                                 "startTime": ["1499040000000"], "endTime": ["1499126399999"],
                                 "limit": ["1000"]}


def test_trade_event_to_raw_tick():
    tick = trade_event(payload_json("binance/ws_trade_event.json"))
    assert tick == {"provider": "binance", "symbol": "BNBBTC", "seq": 12345,
                    "ts": 1672515782136000, "price": 0.001, "size": 100.0, "bid": None,
                    "ask": None, "bid_size": None, "ask_size": None, "prev_close": None}
    parsed = parse_tick(tick)  # the pipeline accepts it as is
    assert parsed[2:6] == (12345, 1672515782136000, 0.001, 100)


def test_trade_event_rejects_other_events():
    with pytest.raises(ProviderBadData):
        trade_event({"e": "aggTrade"})
    with pytest.raises(ProviderBadData):
        trade_event({**payload_json("binance/ws_trade_event.json"), "p": "0"})
    wrapped = {"stream": "bnbbtc@trade", "data": payload_json("binance/ws_trade_event.json")}
    assert trade_event(wrapped)["seq"] == 12345


async def test_invalid_symbol_is_not_found(vendor, bn):
    vendor.route("/api/v3/ticker/24hr", "binance/error_-1121_invalid_symbol.json", status=400)
    with pytest.raises(ProviderNotFound, match="Invalid symbol"):
        await bn.quote("XYZ-USD")


async def test_rate_limits(vendor, bn):
    vendor.route("/api/v3/ticker/24hr", body={"code": -1003, "msg": "Too many requests."},
                 status=429, headers={"Retry-After": "7"})
    with pytest.raises(ProviderRateLimited) as e:
        await bn.quote("BTC-USD")
    assert e.value.retry_after == 7.0
    vendor.route("/api/v3/ticker/24hr", body={}, status=418, headers={"Retry-After": "120"})
    with pytest.raises(ProviderRateLimited) as e:
        await bn.quote("BTC-USD")
    assert e.value.retry_after == 120.0


@pytest.mark.parametrize("body", ["[", {}, [], {"symbol": "BTCUSDT", "lastPrice": "0.0"}])
async def test_bad_bodies(vendor, bn, body):
    vendor.route("/api/v3/ticker/24hr", body=body)
    with pytest.raises(ProviderBadData):
        await bn.quote("BTC-USD")


async def test_faults(vendor, bn):
    vendor.route("/api/v3/ticker/24hr", body={}, status=502)
    with pytest.raises(ProviderUnavailable):
        await bn.quote("BTC-USD")
    vendor.route("/api/v3/ticker/24hr", body={}, delay=1.0)
    with pytest.raises(ProviderUnavailable):
        await bn.quote("BTC-USD")


async def test_api_key_header_when_set(vendor):
    vendor.route("/api/v3/ticker/price", "binance/api_v3_ticker_price.json")
    p = BinanceProvider("mbx-secret", base_url=vendor.url)
    await p.last_price("LTC-BTC")
    assert vendor.last.headers["x-mbx-apikey"] == "mbx-secret"
    await p.aclose()
