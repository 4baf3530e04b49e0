"""ProviderChain over real adapters against the local fault-injecting HTTP server:
failover order, breakers, the half-open probe, Retry-After, validation, stale quotes."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from stockflow.adapters.cache.memory import MemoryCache
from stockflow.adapters.providers.alphavantage import AlphaVantageProvider
from stockflow.adapters.providers.polygon import PolygonProvider
from stockflow.adapters.providers.yahoo import YahooProvider
from stockflow.core.resilience import CircuitBreaker, TokenBucket
from stockflow.market.domain import Interval, Quote
from stockflow.market.failover import ChainExhausted, ProviderChain
from stockflow.market.quote_cache import LastQuotes, QuotesUnavailable
from stockflow.market.routing import FailoverRouter
from stockflow.testing.fakes import FakeClock
from tests.providers.conftest import payload_json

YAHOO = "/v8/finance/chart/AAPL"
POLY = ("/v2/last/trade/AAPL", "/v2/last/nbbo/AAPL", "/v2/aggs/ticker/AAPL/prev")
AV_QUOTE = {"Global Quote": {
    "01. symbol": "AAPL", "02. open": "200.0", "03. high": "202.0", "04. low": "199.0",
    "05. price": "201.5", "06. volume": "1000", "07. latest trading day": "2025-11-21",
    "08. previous close": "200.0", "09. change": "1.5", "10. change percent": "0.75%"}}


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def adapters(vendor):
    made = [PolygonProvider("pk", base_url=vendor.url, timeout=5.0),
            YahooProvider(base_url=vendor.url, timeout=5.0),
            AlphaVantageProvider("ak", base_url=vendor.url, timeout=5.0)]
    yield made
    for p in made:
        await p.aclose()


class Events(list):
    def __call__(self, type_, data):
        self.append((type_, data))

    def of(self, type_):
        return [d for t, d in self if t == type_]


def chain_of(providers, clock, *, threshold=3, events=None, limiters=None, **kw):
    breakers = {p.name: CircuitBreaker(p.name, failure_threshold=threshold, reset_timeout=30,
                                       clock=clock) for p in providers}
    return ProviderChain("equity", providers, breakers=breakers, limiters=limiters,
                         clock=clock, on_event=events, **kw)


def hits(vendor, path):
    return sum(r.path == path for r in vendor.requests)


def poly_up(vendor):
    vendor.route(POLY[0], "polygon/v2_last_trade_AAPL_spec_example.json")
    vendor.route(POLY[1], "polygon/v2_last_nbbo_AAPL_spec_example.json")
    vendor.route(POLY[2], "polygon/v2_aggs_ticker_AAPL_prev_client_mock.json")


def yahoo_up(vendor, price=None, symbol=None):
    body = payload_json("yahoo/v8_chart_AAPL_1d_2022-02-22.json")
    if price is not None or symbol is not None:
        body = copy.deepcopy(body)
        meta = body["chart"]["result"][0]["meta"]
        if price is not None:
            meta["regularMarketPrice"] = price
        if symbol is not None:
            meta["symbol"] = symbol
    vendor.route(YAHOO, body=body)


async def test_failover_order_and_health(vendor, adapters, clock):
    for path in POLY:
        vendor.route(path, body={}, status=503)
    vendor.route(YAHOO, body="Too Many Requests", status=429)
    vendor.route("/query", body=AV_QUOTE)
    chain = chain_of(adapters, clock, cost_per_call={"alphavantage": 0.002}, max_jump_pct=None)
    q = await chain.quote("aapl")
    assert (q.provider, q.ticker, q.price) == ("alphavantage", "AAPL", 201.5)
    assert hits(vendor, POLY[0]) == 1 and hits(vendor, YAHOO) == 1 and hits(vendor, "/query") == 1
    # Polygon up again: it is first and answers; the others are not asked.
    poly_up(vendor)
    vendor.requests.clear()
    q2 = await chain.quote("AAPL")
    assert q2.provider == "polygon" and hits(vendor, YAHOO) == 0
    health = {h["provider"]: h for h in chain.health()}
    assert health["polygon"]["calls"] == 2 and health["polygon"]["failures"] == 1
    assert health["polygon"]["failovers"] == 1 and health["yahoo"]["failovers"] == 1
    assert health["alphavantage"]["failovers"] == 0
    assert health["alphavantage"]["estimated_cost"] == pytest.approx(0.002)
    assert health["polygon"]["last_success"] == clock.now().isoformat()
    assert "503" in health["polygon"]["recent_failures"][0]["reason"]
    assert health["polygon"]["breaker_state"] == "closed"


async def test_chain_exhausted_lists_every_error(vendor, adapters, clock):
    vendor.route(YAHOO, body={}, status=500)
    vendor.route("/query", body={}, status=502)
    chain = chain_of(adapters[1:], clock)
    with pytest.raises(ChainExhausted) as err:
        await chain.quote("AAPL")
    assert set(err.value.errors) == {"yahoo", "alphavantage"}


async def test_breaker_opens_and_provider_is_not_called(vendor, adapters, clock):
    _, yahoo, _ = adapters
    events = Events()
    vendor.route(YAHOO, body={}, status=500)
    # An in-process fallback keeps 100 calls fast; the server counts what reaches Yahoo.
    backup = _Stub("backup", _good_quote(clock, "backup"))
    chain = chain_of([yahoo, backup], clock, threshold=3, events=events)
    for _ in range(3):
        assert (await chain.quote("AAPL")).provider == "backup"
    assert chain.breakers["yahoo"].state == "open"
    assert [d["provider"] for d in events.of("provider.unavailable")] == ["yahoo"]
    before = hits(vendor, YAHOO)
    for _ in range(100):
        assert (await chain.quote("AAPL")).provider == "backup"
    assert hits(vendor, YAHOO) - before == 0 and before == 3
    assert chain.health()[0]["skipped"] == 100


async def test_one_probe_in_half_open_under_50_callers(vendor, adapters, clock):
    _, yahoo, av = adapters
    events = Events()
    vendor.route(YAHOO, body={}, status=500)
    vendor.route("/query", body=AV_QUOTE)
    chain = chain_of([yahoo, av], clock, threshold=2, events=events)
    for _ in range(2):
        await chain.quote("AAPL")
    clock.advance(30)
    yahoo_up(vendor)
    vendor.routes[("GET", YAHOO)].delay = 0.05  # keep the probe in flight
    vendor.requests.clear()
    results = await asyncio.gather(*(chain.quote("AAPL") for _ in range(50)))
    assert hits(vendor, YAHOO) == 1
    assert sum(q.provider == "yahoo" for q in results) == 1
    assert sum(q.provider == "alphavantage" for q in results) == 49
    assert chain.breakers["yahoo"].state == "closed"
    assert events.of("provider.recovered") == [{"chain": "equity", "provider": "yahoo"}]


async def test_failed_probe_reopens(vendor, adapters, clock):
    _, yahoo, av = adapters
    vendor.route(YAHOO, body={}, status=500)
    vendor.route("/query", body=AV_QUOTE)
    chain = chain_of([yahoo, av], clock, threshold=1)
    await chain.quote("AAPL")
    clock.advance(30)
    await chain.quote("AAPL")
    assert chain.breakers["yahoo"].state == "open"
    assert chain.breakers["yahoo"].opened_at == clock.now().timestamp()
    assert hits(vendor, YAHOO) == 2


async def test_retry_after_is_honoured(vendor, adapters, clock):
    _, yahoo, av = adapters
    vendor.route(YAHOO, body="slow down", status=429, headers={"Retry-After": "30"})
    vendor.route("/query", body=AV_QUOTE)
    limiters = {"yahoo": TokenBucket(5, 5.0, clock=clock)}
    chain = chain_of([yahoo, av], clock, threshold=10, limiters=limiters)
    assert (await chain.quote("AAPL")).provider == "alphavantage"
    yahoo_up(vendor)
    vendor.requests.clear()
    assert (await chain.quote("AAPL")).provider == "alphavantage"  # yahoo not asked
    assert hits(vendor, YAHOO) == 0
    waiter = asyncio.create_task(limiters["yahoo"].acquire())
    await asyncio.sleep(0.01)
    clock.advance(29)
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.advance(1)
    await asyncio.sleep(0.01)
    assert waiter.done()
    assert (await chain.quote("AAPL")).provider == "yahoo"


@pytest.mark.parametrize("fault", ["zero", "wrong_symbol"])
async def test_bad_quotes_fail_over(vendor, adapters, clock, fault):
    _, yahoo, av = adapters
    if fault == "zero":
        yahoo_up(vendor, price=0)
    else:
        yahoo_up(vendor, symbol="MSFT")
    vendor.route("/query", body=AV_QUOTE)
    chain = chain_of([yahoo, av], clock)
    assert (await chain.quote("AAPL")).provider == "alphavantage"
    assert chain.health()[0]["failures"] == 1


async def test_price_jump_fails_over_and_emits_quality_issue(vendor, adapters, clock):
    poly, yahoo, _ = adapters
    events = Events()
    chain = chain_of([poly, yahoo], clock, events=events, max_jump_pct=20.0)
    for path in POLY:
        vendor.route(path, body={}, status=500)
    yahoo_up(vendor)  # 220.003
    assert (await chain.quote("AAPL")).price == 220.003
    poly_up(vendor)  # 129.8473: a 41% drop against the last good price
    q = await chain.quote("AAPL")
    assert q.provider == "yahoo"
    [issue] = events.of("data.quality.issue")
    assert issue["provider"] == "polygon" and issue["ticker"] == "AAPL"
    assert issue["jump_pct"] == pytest.approx(40.98, abs=0.01)
    # A move that two providers agree on is real: accepted, and the new level remembered.
    yahoo_up(vendor, price=130.0)
    q = await chain.quote("AAPL")
    assert q.provider == "yahoo" and q.price == 130.0


async def test_empty_series_fails_over_and_all_empty_is_no_data(vendor, adapters, clock):
    _, yahoo, av = adapters
    start, end = datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 4, tzinfo=UTC)
    vendor.route(YAHOO, "yahoo/v8_chart_AAPL_1m_2025-02-01_weekend_no_bars.json")
    vendor.route("/query", body={}, status=500)
    chain = chain_of([yahoo, av], clock)
    with pytest.raises(ChainExhausted):
        await chain.bars("AAPL", Interval.D1, start, end)
    vendor.route(YAHOO, "yahoo/v8_chart_AAPL_1d_2020-01-01_2020-01-03.json")
    bars = await chain.bars("AAPL", Interval.D1, start, end)
    assert bars and all(b.ticker == "AAPL" for b in bars)


async def test_router_by_asset_class(vendor, adapters, clock):
    _, yahoo, av = adapters
    yahoo_up(vendor)
    vendor.route("/query", body=AV_QUOTE)
    router = FailoverRouter({"equity": chain_of([yahoo], clock),
                             "crypto": chain_of([av], clock)},
                            classify=lambda t: "crypto" if t.endswith("-USD") else "equity")
    assert (await router.quote("AAPL")).provider == "yahoo"
    assert [q.provider for q in await router.quotes(["AAPL"])] == ["yahoo"]
    assert len(router.health()) == 2


async def test_last_quotes_are_served_with_their_age_then_unavailable(clock):
    last = LastQuotes(MemoryCache(monotonic=clock.monotonic), clock=clock,
                      max_stale_seconds=900)
    await last.put_many({"AAPL": b'{"ticker":"AAPL","price":220.003}'})
    clock.advance(400)  # beyond the 5-minute fresh TTL, the last-known copy is still kept
    got = await last.stale(["AAPL"])
    assert got["AAPL"].age_seconds == 400 and got["AAPL"].wire.endswith(b"220.003}")
    clock.advance(501)
    with pytest.raises(QuotesUnavailable) as err:
        await last.stale(["AAPL"])
    assert err.value.ages == {"AAPL": 901}
    with pytest.raises(QuotesUnavailable) as err:
        await last.stale(["AAPL", "MSFT"])
    assert err.value.ages == {"AAPL": 901, "MSFT": None}


class _Stub:
    """An in-process provider for answers no real adapter would let through."""

    def __init__(self, name, quote):
        self.name, self._quote, self.calls = name, quote, 0

    def supports(self, ticker):
        return True

    async def instruments(self):
        return []

    async def quote(self, ticker, at=None):
        self.calls += 1
        return self._quote

    async def quotes(self, tickers, at=None):
        return [await self.quote(t) for t in tickers]

    async def bars(self, ticker, interval, start, end):
        return []


def _good_quote(clock, provider="good"):
    return Quote("AAPL", clock.now(), 100.0, 99.9, 100.1, 1, 1, 10, 99, 101, 98, 99, provider)


async def test_chain_validation_beyond_the_adapters(clock):
    good = _good_quote(clock)
    for bad in (replace(good, price=float("nan")), replace(good, ticker="MSFT"),
                replace(good, price=-1.0), replace(good, bid=0.0)):
        first, second = _Stub("bad", bad), _Stub("good", good)
        chain = chain_of([first, second], clock)
        assert (await chain.quote("AAPL")).provider == "good"
        assert (await chain.quotes(["AAPL"]))[0].provider == "good"
        assert chain.health()[0]["failures"] == 2
