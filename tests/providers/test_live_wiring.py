"""StockFlow on real provider adapters, through the composition root and the HTTP API, against
the local vendor server: failover order, stale answers with their age, 503 past the max age,
crypto rates, the admin view, events and metrics, and no key anywhere it should not be."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from stockflow.bootstrap import Container, bootstrap
from stockflow.entrypoints.http import create_app
from stockflow.jobs.service import JobService
from stockflow.market.providers import MarketSources, ProviderConfigError, enabled_vendors
from stockflow.market.service import MarketDataService
from stockflow.pipeline.service import Ingestion
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, make_settings
from tests.providers.conftest import payload_json
from tests.providers.test_failover import POLY, YAHOO, poly_up, yahoo_up

ADMIN_KEY = "admin-key-for-tests"
POLYGON_KEY = "pk-secret-polygon-7731"
CG_SIMPLE = "/api/v3/simple/price"
BINANCE_24H = "/api/v3/ticker/24hr"


def live_settings(tmp_path, vendor, **failover):
    return make_settings(
        tmp_path,
        simulator={"seed": 7, "backfill_on_start": False},
        control={"api_key": ADMIN_KEY},
        providers={
            "polygon": {"api_key": POLYGON_KEY, "base_url": vendor.url, "timeout": 2},
            # A bucket that a test's burst never empties (the fake clock refills nothing).
            "yahoo": {"base_url": vendor.url, "timeout": 2, "capacity": 1000},
            "coingecko": {"base_url": vendor.url + "/api/v3", "timeout": 2},
            "binance": {"base_url": vendor.url, "timeout": 2},
        },
        failover={"retries": 0, "max_jump_pct": None, "max_stale_seconds": 900,
                  "breaker": {"failure_threshold": 3, "reset_timeout": 30}, **failover},
        # The tests run jobs themselves; a scheduled poll would ask the vendors in between.
        jobs={"enabled": False},
    )


@pytest.fixture
async def live(tmp_path, vendor) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    container = bootstrap(live_settings(tmp_path, vendor), clock=FakeClock(MARKET_TIME),
                          configure_logs=False)
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        yield container, client
    await container.stop()


def paths(vendor):
    return [r.path for r in vendor.requests]


async def test_equities_fail_over_from_polygon_to_yahoo(live, vendor):
    container, client = live
    poly_up(vendor)
    resp = await client.get("/v1/quotes/AAPL")
    assert resp.status_code == 200 and resp.json()["data"]["provider"] == "polygon"
    assert "stale" not in resp.json()["meta"]

    container.clock.advance(301)  # past the quote cache's 5 minutes
    vendor.requests.clear()
    for p in POLY:
        vendor.route(p, body={"status": "ERROR"}, status=500)
    yahoo_up(vendor)
    resp = await client.get("/v1/quotes/AAPL")
    assert resp.status_code == 200 and resp.json()["data"]["provider"] == "yahoo"
    # polygon was asked first, then yahoo; NSE and crypto vendors were never involved
    assert set(paths(vendor)[:-1]) <= set(POLY) and paths(vendor)[-1] == YAHOO


async def test_stale_quote_with_its_age_then_503_past_the_max(live, vendor):
    container, client = live
    yahoo_up(vendor)
    for p in POLY:
        vendor.route(p, status=503, body={})
    fresh = await client.get("/v1/quotes/AAPL")
    assert fresh.json()["data"]["provider"] == "yahoo"
    await container.bus.drain()  # the realtime worker has seen the quote (within ms, live)

    vendor.route(YAHOO, status=500, body={})
    container.clock.advance(400)
    stale = await client.get("/v1/quotes/AAPL")
    assert stale.status_code == 200
    body = stale.json()
    assert body["data"] == fresh.json()["data"]
    assert body["meta"]["stale"] is True and body["meta"]["age_seconds"] == 400
    batch = await client.get("/v1/quotes", params={"tickers": "AAPL"})
    assert batch.json()["meta"]["stale_items"] == {"AAPL": 400}

    container.clock.advance(501)  # 901 s: beyond max_stale_seconds=900
    gone = await client.get("/v1/quotes/AAPL")
    assert gone.status_code == 503
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.headers["retry-after"] == "30"
    assert gone.json()["ages"] == {"AAPL": 901}


async def test_no_stored_quote_and_no_provider_is_503_not_500(live, vendor):
    _, client = live
    for p in (*POLY, YAHOO):
        vendor.route(p, status=502, body={})
    resp = await client.get("/v1/quotes/MSFT")
    assert resp.status_code == 503 and resp.json()["ages"] == {"MSFT": None}


async def test_breaker_opens_then_polygon_is_not_called(live, vendor):
    container, client = live
    capture = EventCapture()
    container.bus.subscribe("provider.unavailable", "test", capture)
    for p in POLY:
        vendor.route(p, status=500, body={})
    yahoo_up(vendor)
    for _ in range(3):  # threshold 3: polygon's breaker opens
        assert (await client.get("/v1/quotes/AAPL")).status_code == 200
        await container.cache.delete("quote:AAPL")  # a miss each time, within the reset timeout
    vendor.requests.clear()
    for _ in range(100):
        assert (await client.get("/v1/quotes/AAPL")).json()["data"]["provider"] == "yahoo"
        await container.cache.delete("quote:AAPL")
    assert not set(paths(vendor)) & set(POLY)
    await container.bus.drain()
    [event] = capture.of_type("provider.unavailable")
    assert event.data["provider"] == "polygon" and event.data["chain"] == "equity"


async def test_crypto_rates_from_coingecko_then_binance_then_stale(live, vendor):
    container, client = live
    vendor.route(CG_SIMPLE, "coingecko/simple_price_bitcoin_usd_all_flags.json")
    resp = await client.get("/v1/crypto/rates", params={"ids": "bitcoin", "vs": "usd"})
    assert resp.status_code == 200
    assert resp.json()["data"] == {"bitcoin": {"usd": 67187.3358936566,
                                               "usd_24h_change": 3.63727894677354,
                                               "last_updated_at": 1711356300}}
    assert resp.json()["meta"]["source"] == "coingecko"
    assert vendor.last.query["ids"] == ["bitcoin"]

    container.clock.advance(301)
    vendor.route(CG_SIMPLE, status=500, body={})
    vendor.route(BINANCE_24H, body=[_binance_ticker("BTCUSDT", "91000.5")])  # symbols=[...] form
    resp = await client.get("/v1/crypto/rates", params={"ids": "bitcoin", "vs": "usd"})
    assert resp.json()["meta"]["source"] == "binance"
    assert resp.json()["data"]["bitcoin"]["usd"] == 91000.5

    container.clock.advance(301)
    vendor.route(BINANCE_24H, status=500, body={})
    resp = await client.get("/v1/crypto/rates", params={"ids": "bitcoin", "vs": "usd"})
    assert resp.json()["meta"]["stale"] is True and resp.json()["meta"]["age_seconds"] == 301
    assert resp.json()["data"]["bitcoin"]["usd"] == 91000.5


@pytest.mark.parametrize(("params", "status"), [
    ({"ids": "bitcoin", "vs": "xyz"}, 422),
    ({"ids": "Bit Coin"}, 422),
    ({"ids": ",".join(f"c{i}" for i in range(51))}, 422),
    ({"vs": "usd"}, 422),
])
async def test_crypto_rates_refuses_bad_input(live, params, status):
    _, client = live
    resp = await client.get("/v1/crypto/rates", params=params)
    assert resp.status_code == status
    assert resp.headers["content-type"] == "application/problem+json"


async def test_unknown_coin_is_404_naming_it(live, vendor):
    _, client = live
    vendor.route(CG_SIMPLE, "coingecko/simple_price_bitcoin_usd_all_flags.json")
    resp = await client.get("/v1/crypto/rates", params={"ids": "bitcoin,notacoin"})
    assert resp.status_code == 404 and "notacoin/usd" in resp.json()["detail"]


async def test_admin_providers_view_metrics_and_no_secret_anywhere(live, vendor, caplog):
    _, client = live
    for p in POLY:
        vendor.route(p, status=500, body={"error": f"bad key {POLYGON_KEY}"})
    yahoo_up(vendor)
    await client.get("/v1/quotes/AAPL")
    assert (await client.get("/api/admin/providers")).status_code == 401
    resp = await client.get("/api/admin/providers", headers={"X-API-Key": ADMIN_KEY})
    assert resp.status_code == 200
    rows = {(r["chain"], r["provider"]): r for r in resp.json()["data"]}
    assert rows[("equity", "polygon")]["failures"] == 1
    assert rows[("equity", "polygon")]["failovers"] == 1
    assert rows[("equity", "yahoo")]["last_success"] is not None
    assert rows[("nse", "simulated")]["breaker_state"] == "closed"
    assert resp.json()["meta"]["simulated"] == ["nse", "fx"]  # no vendor of theirs is on
    metrics = (await client.get("/metrics")).text
    assert 'stockflow_provider_failures_total{chain="equity",provider="polygon"} 1.0' in metrics
    assert 'stockflow_provider_breaker_state{chain="equity",provider="polygon"} 0.0' in metrics
    assert 'stockflow_provider_call_seconds_count{chain="equity",outcome="ok",provider="yahoo"}' \
        in metrics
    for text in (resp.text, metrics, caplog.text):
        assert POLYGON_KEY not in text


def test_a_keyed_vendor_without_a_key_is_a_clear_error(tmp_path):
    settings = make_settings(tmp_path, providers={"polygon": {"base_url": "http://x"}})
    with pytest.raises(ProviderConfigError, match="STOCKFLOW_PROVIDERS__POLYGON__API_KEY"):
        enabled_vendors(settings)
    with pytest.raises(ProviderConfigError, match="unknown provider"):
        enabled_vendors(make_settings(tmp_path, providers={"nope": {}}))
    off = make_settings(tmp_path, providers={"polygon": {"enabled": False}})
    assert enabled_vendors(off) == {}


async def test_without_vendors_the_simulated_market_serves_everything(market_app):
    container, client = market_app
    assert not container.port(MarketSources).live
    resp = await client.get("/v1/crypto/rates", params={"ids": "bitcoin,ethereum"})
    assert resp.status_code == 200
    quote = (await client.get("/v1/quotes/BTC-USD")).json()["data"]
    assert resp.json()["data"]["bitcoin"]["usd"] == quote["price"]
    assert resp.json()["meta"]["source"] == "simulated"


def _binance_ticker(symbol: str, price: str) -> dict:
    return {"symbol": symbol, "priceChange": "10.0", "priceChangePercent": "0.011",
            "weightedAvgPrice": price, "prevClosePrice": "90990.5", "lastPrice": price,
            "lastQty": "0.1", "bidPrice": price, "bidQty": "1.0", "askPrice": price,
            "askQty": "1.0", "openPrice": "90990.5", "highPrice": price, "lowPrice": "90000",
            "volume": "1000", "quoteVolume": "91000000", "openTime": 1732800000000,
            "closeTime": 1732886400000, "firstId": 1, "lastId": 2, "count": 2}


async def test_scheduled_polling_feeds_the_pipeline_in_market_hours(tmp_path, vendor):
    settings = live_settings(tmp_path, vendor)
    settings.services.live_quotes = True
    settings.ingestion.tickers = ["AAPL", "BTC-USD", "RELIANCE"]
    container = bootstrap(settings, clock=FakeClock(MARKET_TIME), configure_logs=False)
    await container.start()
    try:
        # NSE has no vendor here: its ticker keeps the simulated market's one-second ticks.
        assert container.task("ingestion").source.tickers == ["RELIANCE"]
        for p in POLY:
            vendor.route(p, status=500, body={})
        at = int(MARKET_TIME.timestamp())
        body = payload_json("yahoo/v8_chart_AAPL_1d_2022-02-22.json")
        body["chart"]["result"][0]["meta"]["regularMarketTime"] = at - 2
        vendor.route(YAHOO, body=body)
        vendor.route(CG_SIMPLE, status=500, body={})
        vendor.route(BINANCE_24H, body=[{**_binance_ticker("BTCUSDT", "91000.5"),
                                         "closeTime": at * 1000 - 1000}])
        done = await container.port(JobService).run("quote-ingestion")
        assert done.status == "ok", done.error
        assert done.stats["asked"] == 2 and done.stats["quotes"] == 2
        assert done.stats["ticks"] == 2
        again = await container.port(JobService).run("quote-ingestion")
        assert again.stats["ticks"] == 0  # nothing moved: no tick twice
        for _ in range(3):
            await container.bus.drain()
        cached = {t: orjson.loads(await container.cache.get(f"quote:{t}"))
                  for t in ("AAPL", "BTC-USD")}
        assert cached["AAPL"]["provider"] == "yahoo" and cached["BTC-USD"]["price"] == 91000.5
        container.clock.advance(8 * 3600)  # 23:30 UTC: New York closed, crypto trades
        vendor.requests.clear()
        await container.port(JobService).run("quote-ingestion")
        assert {r.path for r in vendor.requests} == {CG_SIMPLE, BINANCE_24H}
        vendor.route(BINANCE_24H, status=500, body={})
        failed = await container.port(JobService).run("quote-ingestion")
        assert failed.status == "failed" and "crypto" in failed.stats["failed_chains"]
        container.port(Ingestion).poller().source.groups.pop("crypto")  # only New York left, and it is closed
        skipped = await container.port(JobService).run("quote-ingestion")
        assert skipped.status == "skipped"
    finally:
        await container.stop()


async def test_a_switched_on_stream_takes_its_tickers_off_polling(tmp_path, vendor):
    settings = live_settings(tmp_path, vendor)
    settings.services.live_quotes = True
    settings.providers["binance"].stream = True
    settings.providers["binance"].stream_url = "ws://127.0.0.1:9"  # nothing listens: retries
    container = bootstrap(settings, clock=FakeClock(MARKET_TIME), configure_logs=False)
    await container.start()
    try:
        stream = container.task("stream-binance")
        assert "btcusdt@trade" in stream.feed.url()
        polled = container.port(Ingestion).poller().source.groups
        assert "crypto" not in polled and "AAPL" in polled["equity"][1]
    finally:
        await container.stop()


async def test_a_batch_keeps_fresh_answers_and_serves_only_the_failed_class_stale(live, vendor):
    container, client = live
    for p in POLY:
        vendor.route(p, status=500, body={})
    yahoo_up(vendor)
    vendor.route(CG_SIMPLE, status=500, body={})
    vendor.route(BINANCE_24H, body=[_binance_ticker("BTCUSDT", "91000.5")])
    first = await client.get("/v1/quotes", params={"tickers": "AAPL,BTC-USD"})
    assert "stale" not in first.json()["meta"]
    await container.bus.drain()
    container.clock.advance(301)
    vendor.route(BINANCE_24H, status=503, body={})
    resp = await client.get("/v1/quotes", params={"tickers": "AAPL,BTC-USD"})
    assert resp.status_code == 200
    assert resp.json()["meta"]["stale_items"] == {"BTC-USD": 301}
    assert [q["provider"] for q in resp.json()["data"]] == ["yahoo", "binance"]


async def test_breaker_state_is_shared_through_redis(tmp_path, vendor):
    from stockflow.testing.services import require_service_url

    url = require_service_url("STOCKFLOW_TEST_REDIS_URL", "Redis")
    import uuid

    containers = []
    for i in range(2):
        settings = live_settings(tmp_path / str(i), vendor, breaker_store_url=url)
        c = bootstrap(settings, clock=FakeClock(MARKET_TIME), configure_logs=False)
        # A key prefix of this test's own, so parallel runs never share a breaker.
        c.port(MarketSources).breaker_store.prefix = f"stockflow-test:{uuid.uuid4().hex[:8]}:"
        containers.append(c)
    containers[1].port(MarketSources).breaker_store.prefix = \
        containers[0].port(MarketSources).breaker_store.prefix
    for c in containers:
        await c.start()
    try:
        for p in POLY:
            vendor.route(p, status=500, body={})
        yahoo_up(vendor)
        one, two = containers
        for _ in range(3):
            await one.port(MarketDataService).quote_json("AAPL")
            await one.cache.delete("quote:AAPL")
        vendor.requests.clear()
        data, _ = await two.port(MarketDataService).quote_json("AAPL")  # the other process, same breaker
        assert orjson.loads(data)["provider"] == "yahoo"
        assert not set(paths(vendor)) & set(POLY)
        assert two.port(MarketSources).chains["equity"].stats["polygon"].skipped == 1
    finally:
        for c in containers:
            await c.stop()


async def test_provider_health_is_degraded_then_down_as_breakers_open(live, vendor):
    container, client = live

    async def providers_state():
        resp = await client.get("/api/admin/health", headers={"X-API-Key": ADMIN_KEY})
        body = resp.json()  # 200 with data, or the 503 problem when a component is down
        components = body["data"]["components"] if resp.status_code == 200 else body["components"]
        [row] = [c for c in components if c["name"] == "providers"]
        return row["state"], row["detail"]

    assert (await providers_state())[0] == "ok"
    for p in POLY:
        vendor.route(p, status=500, body={})
    yahoo_up(vendor)
    for _ in range(3):  # threshold 3: polygon's breaker opens, yahoo answers
        await client.get("/v1/quotes/AAPL")
        await container.cache.delete("quote:AAPL")
    state, detail = await providers_state()
    assert state == "degraded" and detail["open_breakers"] == ["equity:polygon"]
    vendor.route(YAHOO, status=500, body={})
    await container.bus.drain()  # the realtime worker has re-cached the last fresh quote
    for _ in range(3):  # and now yahoo's
        await container.cache.delete("quote:AAPL")
        await client.get("/v1/quotes/AAPL")
    state, detail = await providers_state()
    assert state == "down" and detail["chains_down"] == ["equity"]
    assert set(detail["open_breakers"]) == {"equity:polygon", "equity:yahoo"}


async def test_unknown_coins_never_trip_the_coingecko_breaker(live, vendor):
    container, client = live
    vendor.route(CG_SIMPLE, body={})  # CoinGecko leaves unknown ids out of its answer
    for _ in range(6):  # more than the breaker's threshold of 3
        resp = await client.get("/v1/crypto/rates", params={"ids": "notacoin"})
        assert resp.status_code == 404
    coingecko = container.port(MarketSources).chains["crypto"].breakers["coingecko"]
    assert coingecko.state == "closed" and coingecko.consecutive_failures == 0
