"""Every market endpoint and every error path, through the real app on SQLite."""

from __future__ import annotations

import pytest

from stockflow.market.domain import Bar, Interval, bar_is_valid
from stockflow.market.service import MarketDataService
from tests.conftest import assert_problem

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_quote_has_envelope_and_consistent_fields(market_app):
    _, client = market_app
    resp = await client.get("/v1/quotes/NVDA")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"data", "meta"}
    assert body["meta"]["version"] == "v1" and body["meta"]["timestamp"]
    q = body["data"]
    assert q["ticker"] == "NVDA" and q["currency"] == "USD" and q["exchange"] == "XNAS"
    assert 0 < q["bid"] < q["ask"]
    assert q["spread"] == pytest.approx(q["ask"] - q["bid"], abs=1e-6)
    assert q["low"] <= q["price"] <= q["high"]
    assert q["change"] == pytest.approx(q["price"] - q["prev_close"], abs=1e-6)


async def test_lower_case_ticker_is_normalised(market_app):
    _, client = market_app
    resp = await client.get("/v1/quotes/btc-usd")
    assert resp.status_code == 200
    assert resp.json()["data"]["ticker"] == "BTC-USD"


async def test_second_quote_is_a_cache_hit(market_app):
    container, client = market_app
    hits = container.metrics.cache_hits.labels("quote")
    before = hits.value
    await client.get("/v1/quotes/MSFT")
    await client.get("/v1/quotes/MSFT")
    assert hits.value >= before + 1
    metrics = (await client.get("/metrics")).text
    assert "stockflow_cache_hits_total" in metrics
    assert "stockflow_cache_misses_total" in metrics


async def test_unknown_ticker_is_404_problem(market_app):
    _, client = market_app
    body = assert_problem(await client.get("/v1/quotes/NOPE"), 404)
    assert "NOPE" in body["detail"]


async def test_malformed_ticker_is_422_problem(market_app):
    _, client = market_app
    assert_problem(await client.get("/v1/quotes/" + "X" * 30), 422)
    assert_problem(await client.get("/v1/quotes/NV%20DA"), 422)


async def test_batch_quotes_in_request_order(market_app):
    _container, client = market_app
    tickers = ["AAPL", "RELIANCE", "ETH-USD", "SPY"]
    resp = await client.get("/v1/quotes", params={"tickers": ",".join(tickers)})
    assert resp.status_code == 200
    assert [q["ticker"] for q in resp.json()["data"]] == tickers


async def test_batch_of_fifty_works_and_fifty_one_is_422(market_app):
    container, client = market_app
    universe = [i.ticker for i in container.port(MarketDataService).universe]
    assert len(universe) >= 40
    resp = await client.get("/v1/quotes", params={"tickers": ",".join(universe[:50])})
    assert resp.status_code == 200
    assert len(resp.json()["data"]) == min(50, len(universe))
    many = ",".join(f"T{i}" for i in range(51))
    body = assert_problem(await client.get("/v1/quotes", params={"tickers": many}), 422)
    assert "50" in body["detail"]


async def test_batch_with_unknown_ticker_is_404_naming_it(market_app):
    _, client = market_app
    body = assert_problem(await client.get("/v1/quotes", params={"tickers": "NVDA,ZZZZ"}), 404)
    assert "ZZZZ" in body["detail"]


async def test_batch_missing_or_empty_tickers_is_422(market_app):
    _, client = market_app
    assert_problem(await client.get("/v1/quotes"), 422)
    assert_problem(await client.get("/v1/quotes", params={"tickers": ",,"}), 422)


async def test_daily_history_is_valid_and_ordered(market_app):
    _, client = market_app
    resp = await client.get("/v1/historical/AAPL", params={"interval": "1d", "limit": 1000})
    assert resp.status_code == 200
    body = resp.json()
    bars = body["data"]
    assert len(bars) > 200  # a year of sessions
    times = [b["time"] for b in bars]
    assert times == sorted(times)
    for b in bars:
        assert bar_is_valid(Bar("AAPL", Interval.D1, b["time"], b["open"], b["high"], b["low"],
                                b["close"], b["volume"]))
    assert body["meta"]["ticker"] == "AAPL" and body["meta"]["interval"] == "1d"


@pytest.mark.parametrize("interval", ["1m", "5m", "15m", "1h"])
async def test_intraday_history_exists_for_every_interval(market_app, interval):
    _, client = market_app
    resp = await client.get("/v1/historical/BTC-USD", params={"interval": interval})
    assert resp.status_code == 200
    assert len(resp.json()["data"]) > 0


async def test_cursor_pagination_walks_every_bar_once(market_app):
    _, client = market_app
    params = {"interval": "1d", "start": "2025-01-01T00:00:00Z", "end": "2025-07-01T00:00:00Z"}
    full = (await client.get("/v1/historical/MSFT", params={**params, "limit": 5000})).json()
    seen, cursor = [], None
    while True:
        page = await client.get("/v1/historical/MSFT",
                                params={**params, "limit": 17, **({"cursor": cursor} if cursor else {})})
        body = page.json()
        seen += body["data"]
        if not body["meta"]["has_more"]:
            assert body["meta"]["next_cursor"] is None
            break
        cursor = body["meta"]["next_cursor"]
    assert seen == full["data"]
    assert len(seen) > 100


async def test_history_range_is_start_inclusive_end_exclusive(market_app):
    _, client = market_app
    resp = await client.get("/v1/historical/MSFT", params={
        "interval": "1d", "start": "2025-03-03T00:00:00Z", "end": "2025-03-08T00:00:00Z"})
    days = [b["time"][:10] for b in resp.json()["data"]]
    assert days == ["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07"]


@pytest.mark.parametrize("params", [
    {"interval": "2m"},
    {"limit": 0},
    {"limit": 5001},
    {"start": "yesterday"},
    {"start": "2025-02-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"},
    {"cursor": "garbage!!"},
])
async def test_history_bad_parameters_are_422(market_app, params):
    _, client = market_app
    assert_problem(await client.get("/v1/historical/MSFT", params=params), 422)


async def test_history_cursor_from_another_ticker_is_422(market_app):
    _, client = market_app
    first = (await client.get("/v1/historical/MSFT", params={"limit": 2})).json()
    cursor = first["meta"]["next_cursor"]
    assert cursor
    assert_problem(await client.get("/v1/historical/AAPL", params={"cursor": cursor}), 422)


async def test_history_unknown_ticker_is_404(market_app):
    _, client = market_app
    assert_problem(await client.get("/v1/historical/NOPE"), 404)


async def test_market_status_per_exchange(market_app):
    _, client = market_app
    resp = await client.get("/v1/market-status")
    assert resp.status_code == 200
    by_ex = {s["exchange"]: s for s in resp.json()["data"]}
    assert set(by_ex) >= {"XNYS", "XNAS", "XNSE", "CRYPTO"}
    assert by_ex["XNYS"]["state"] == "open" and by_ex["XNYS"]["is_open"] is True
    assert by_ex["XNSE"]["is_open"] is False
    assert by_ex["CRYPTO"]["state"] == "open"
    assert by_ex["XNYS"]["next_close"].startswith("2025-11-21T21:00")
    assert isinstance(by_ex["XNYS"]["holidays"], list)


async def test_companies_lists_the_universe_with_metadata(market_app):
    _, client = market_app
    resp = await client.get("/v1/companies", params={"limit": 500})
    assert resp.status_code == 200
    data = resp.json()["data"]
    assert len(data) >= 40
    keys = {"ticker", "name", "exchange", "sector", "industry", "market_cap", "currency"}
    assert all(keys <= set(c) for c in data)
    exchanges = {c["exchange"] for c in data}
    assert {"XNYS", "XNAS", "XNSE", "CRYPTO"} <= exchanges


async def test_companies_filter_sort_and_paginate(market_app):
    _, client = market_app
    resp = await client.get("/v1/companies", params={"exchange": "XNSE", "sort": "-market_cap"})
    data = resp.json()["data"]
    assert data and all(c["exchange"] == "XNSE" and c["currency"] == "INR" for c in data)
    caps = [c["market_cap"] for c in data]
    assert caps == sorted(caps, reverse=True)
    page1 = (await client.get("/v1/companies", params={"limit": 10})).json()
    page2 = (await client.get("/v1/companies",
                              params={"limit": 10, "cursor": page1["meta"]["next_cursor"]})).json()
    assert not {c["ticker"] for c in page1["data"]} & {c["ticker"] for c in page2["data"]}
    assert_problem(await client.get("/v1/companies", params={"sort": "colour"}), 422)


async def test_health_ready_docs_and_openapi(market_app):
    _, client = market_app
    assert (await client.get("/health")).json()["data"]["status"] == "ok"
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["data"]["checks"]["storage"] == "ok"
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    for path in ["/v1/quotes/{ticker}", "/v1/quotes", "/v1/historical/{ticker}",
                 "/v1/market-status", "/v1/companies", "/health", "/ready", "/metrics"]:
        assert path in spec["paths"], path


async def test_unknown_route_and_wrong_method_are_problems(market_app):
    _, client = market_app
    assert_problem(await client.get("/nothing-here"), 404)
    # Under /v1, a path no context declares is refused before routing (deny by default).
    assert_problem(await client.get("/v1/nothing-here"), 401)
    assert_problem(await client.post("/v1/quotes/NVDA"), 405)


async def test_metrics_count_requests_per_route_template(market_app):
    _, client = market_app
    await client.get("/v1/quotes/NVDA")
    text = (await client.get("/metrics")).text
    assert 'route="/v1/quotes/{ticker}"' in text
    assert "stockflow_http_request_duration_seconds_bucket" in text
    assert 'route="/v1/quotes/NVDA"' not in text


async def test_responses_carry_a_request_id(market_app):
    _, client = market_app
    resp = await client.get("/health", headers={"x-request-id": "abc123"})
    assert resp.headers["x-request-id"] == "abc123"
    assert (await client.get("/health")).headers["x-request-id"]
