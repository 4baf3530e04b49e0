"""The analysis endpoints through the real app on SQLite, offline: statements, ratios, growth,
valuation, indicators, the catalogue and comparison, and every error path of the issue."""

from __future__ import annotations

import math

import numpy as np
import pytest
import talib

from stockflow.analysis.ratios.compute import ALL
from stockflow.analysis.repository import SqlStatementStore
from stockflow.market.ports import MarketReader
from stockflow.testing.eventually import eventually
from tests.conftest import assert_problem

pytestmark = pytest.mark.asyncio(loop_scope="session")
EQUITIES = ["NVDA", "MSFT", "AAPL", "AMD", "AVGO", "ORCL", "CRM", "GOOGL", "META", "NFLX",
            "DIS", "AMZN", "TSLA", "JPM", "BAC", "GS", "V", "MA", "XOM", "CVX", "JNJ", "PFE",
            "LLY", "UNH", "WMT", "KO", "PG", "CAT", "BA", "RELIANCE", "TCS", "INFY",
            "HDFCBANK", "ICICIBANK", "SBIN", "ITC", "HINDUNILVR", "LT", "BHARTIARTL"]


def _no_nan(value) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for v in value.values():
            _no_nan(v)
    elif isinstance(value, list):
        for v in value:
            _no_nan(v)


async def test_first_start_stores_every_simulated_equity_without_the_job(market_app):
    container, _ = market_app
    store = SqlStatementStore(container.platform.db)

    async def all_loaded():
        return set(await store.tickers()) >= set(EQUITIES)

    await eventually(all_loaded, timeout=120, message="first load of statements")


async def test_statements_pages_with_a_cursor(market_app):
    _, client = market_app
    first = await client.get("/v1/financials/AAPL", params={"period": "quarter", "limit": 4})
    assert first.status_code == 200, first.text
    page = first.json()["data"]
    assert page["ticker"] == "AAPL" and len(page["items"]) == 4
    ends = [p["end"] for p in page["items"]]
    assert ends == sorted(ends, reverse=True)
    assert set(page["items"][0]["statements"]) == {"income", "balance", "cash_flow"}
    second = (await client.get("/v1/financials/AAPL", params={
        "period": "quarter", "limit": 4, "cursor": page["next_cursor"]})).json()["data"]
    assert second["items"][0]["end"] < ends[-1]


async def test_reported_and_restated_differ_where_a_quarter_was_restated(market_app):
    _, client = market_app
    differ = []
    for ticker in EQUITIES[:12]:
        answers = [(await client.get(f"/v1/financials/{ticker}", params={
            "period": "quarter", "limit": 24, "as": v})).json()["data"] for v in
            ("reported", "restated")]
        rev = {p["end"]: p["statements"]["income"]["items"]["revenue"]
               for p in answers[0]["items"]}
        differ += [(ticker, p["end"]) for p in answers[1]["items"]
                   if rev[p["end"]] != p["statements"]["income"]["items"]["revenue"]]
    assert differ, "30 % of simulated companies have a restated quarter"


async def test_ratios_ttm_with_formulas_and_inputs(market_app):
    _, client = market_app
    resp = await client.get("/v1/financials/MSFT/ratios")
    assert resp.status_code == 200, resp.text
    period = resp.json()["data"]["periods"][0]
    assert period["period"] == "ttm" and len(period["ratios"]) == len(ALL) >= 60
    by_name = {r["name"]: r for r in period["ratios"]}
    pe = by_name["price_to_earnings"]
    inputs = {k: v["value"] for k, v in pe["inputs"].items()}
    assert pe["value"] == pytest.approx(inputs["market_cap"] / inputs["net_income"])
    _no_nan(resp.json())


async def test_growth_and_valuation_with_an_override(market_app):
    _, client = market_app
    growth = await client.get("/v1/financials/NVDA/growth")
    assert growth.status_code == 200, growth.text
    assert {c["metric"] for c in growth.json()["data"]["cagr_5y"]} >= {"revenue"}
    base = (await client.get("/v1/financials/KO/valuation")).json()["data"]
    lower = await client.get("/v1/financials/KO/valuation", params={"terminal_growth": 0.01})
    assert lower.status_code == 200, lower.text
    assert lower.json()["data"]["dcf"]["assumptions"]["terminal_growth"] == 0.01
    assert lower.json()["data"]["dcf"]["value_per_share"] < base["dcf"]["value_per_share"]
    assert base["ddm"]["applicable"] is True                       # KO pays a dividend
    _no_nan(base)


@pytest.mark.parametrize(("params", "field"), [
    ({"terminal_growth": 0.5}, "terminal_growth"), ({"shares": -5}, "shares"),
    ({"tax_rate": 1.5}, "tax_rate"), ({"no_such_thing": 1}, "no_such_thing"),
    ({"risk_free": "abc"}, "risk_free"), ({"risk_free": "nan"}, "risk_free")])
async def test_impossible_valuation_inputs_are_422_naming_the_field(market_app, params, field):
    _, client = market_app
    body = assert_problem(await client.get("/v1/financials/KO/valuation", params=params), 422)
    assert field in body["detail"]


@pytest.mark.parametrize("path", ["/v1/financials/ZZZZ", "/v1/financials/ZZZZ/ratios",
                                  "/v1/technical/ZZZZ/indicators?indicators=rsi"])
async def test_unknown_ticker_is_404(market_app, path):
    _, client = market_app
    assert_problem(await client.get(path), 404)


@pytest.mark.parametrize("ticker", ["SPY", "BTC-USD"])
async def test_etf_and_crypto_have_no_fundamentals_and_say_why(market_app, ticker):
    _, client = market_app
    body = assert_problem(await client.get(f"/v1/financials/{ticker}/ratios"), 404)
    assert "only equities have fundamentals" in body["detail"]


async def test_indicators_match_talib_on_the_stored_bars_with_warm_up_null(market_app):
    container, client = market_app
    resp = await client.get("/v1/technical/AAPL/indicators", params={
        "indicators": "rsi,macd", "rsi.timeperiod": 10, "limit": 5000})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    bars = await container.port(MarketReader).bars("AAPL", "1d", None, None, 100_000)
    closes = np.array([b.close for b in bars])
    expected = talib.RSI(closes, timeperiod=10)
    rsi = next(i for i in data["indicators"] if i["name"] == "rsi")
    got = rsi["outputs"]["real"]
    assert len(got) == len(bars) and got[:10] == [None] * 10
    assert np.allclose(np.array(got[10:], dtype=float), expected[10:])
    assert rsi["params"]["timeperiod"] == 10


async def test_unknown_indicator_and_out_of_range_parameter_are_422(market_app):
    _, client = market_app
    body = assert_problem(await client.get("/v1/technical/AAPL/indicators",
                                           params={"indicators": "rsii"}), 422)
    assert "rsi" in body["suggestions"]
    body = assert_problem(await client.get("/v1/technical/AAPL/indicators", params={
        "indicators": "rsi", "rsi.timeperiod": 1}), 422)
    assert body["errors"][0]["loc"] == ["query", "rsi.timeperiod"]


async def test_catalogue_is_json_schema_of_every_talib_function(market_app):
    _, client = market_app
    data = (await client.get("/v1/technical/indicators")).json()["data"]
    assert data["count"] == len(talib.get_functions())
    rsi = next(i for i in data["indicators"] if i["x-indicator"] == "rsi")
    assert rsi["properties"]["timeperiod"]["minimum"] == 2


async def test_batch_indicators_for_several_tickers(market_app):
    _, client = market_app
    resp = await client.post("/v1/technical/indicators", json={
        "tickers": ["AAPL", "MSFT"], "indicators": [{"name": "sma", "params": {"timeperiod": 5}},
                                                    {"name": "atr"}], "limit": 10})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert set(data["results"]) == {"AAPL", "MSFT"}
    assert data["errors"] == {}
    assert [i["name"] for i in data["results"]["MSFT"]["indicators"]] == ["sma", "atr"]
    assert len(data["results"]["AAPL"]["times"]) == 10


async def test_batch_indicators_answers_per_ticker_when_one_is_unknown(market_app):
    _, client = market_app
    alone = (await client.post("/v1/technical/indicators", json={
        "tickers": ["AAPL"], "indicators": [{"name": "rsi"}], "limit": 20})).json()["data"]
    resp = await client.post("/v1/technical/indicators", json={
        "tickers": ["AAPL", "ZZZZ"], "indicators": [{"name": "rsi"}], "limit": 20})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    # The known ticker's answer is what it would be on its own; the unknown one is a problem.
    assert data["results"] == alone["results"]
    problem = data["errors"]["ZZZZ"]
    assert problem["status"] == 404
    assert {"type", "title", "detail"} <= set(problem) and "ZZZZ" in problem["detail"]


async def test_batch_indicators_with_no_known_ticker_is_404_naming_each(market_app):
    _, client = market_app
    body = assert_problem(await client.post("/v1/technical/indicators", json={
        "tickers": ["ZZZZ", "YYYY"], "indicators": [{"name": "rsi"}]}), 404)
    assert set(body["tickers"]) == {"ZZZZ", "YYYY"}
    assert body["tickers"]["YYYY"]["status"] == 404


async def test_compare_ranks_within_sector_and_request(market_app):
    _, client = market_app
    resp = await client.post("/v1/compare", json={"tickers": EQUITIES[:10] + ["SPY", "ZZZZ"]})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert {c["ticker"] for c in data["companies"]} == set(EQUITIES[:10])
    assert set(data["errors"]) == {"SPY", "ZZZZ"}
    ranks = [c["request_rank"]["net_margin"] for c in data["companies"]]
    assert all(r is None or 0 <= r <= 100 for r in ranks)
    _no_nan(data)


async def test_compare_with_no_comparable_ticker_is_404_with_each_reason(market_app):
    _, client = market_app
    body = assert_problem(await client.post("/v1/compare", json={"tickers": ["SPY", "ZZZZ"]}),
                          404)
    assert set(body["tickers"]) == {"SPY", "ZZZZ"}
    assert body["tickers"]["SPY"]["type"].endswith("no-fundamentals")


async def test_compare_51_tickers_is_422(market_app):
    _, client = market_app
    assert_problem(await client.post("/v1/compare",
                                     json={"tickers": [f"T{i}" for i in range(51)]}), 422)
