"""The signal engine through the built app: current signals under /v1 and the /api mirror,
backtests with their look-ahead checks, owner-only saved strategies, 422 problems for bad
input, the published port's body, and the pre-market scan job run with lock and history."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import SIGNAL_GENERATED
from stockflow.signals.ports import SignalReader
from stockflow.signals.strategies import NAMES
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, assert_problem, backfilled_client, make_settings
from tests.e2e.users_support import ADMIN_KEY, AUTH, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")
ADMIN = {"X-API-Key": ADMIN_KEY}
RSI = {"name": "rsi dip", "indicators": {"rsi": {"fn": "rsi", "params": {"timeperiod": 14}}},
       "entry": {"left": "rsi", "op": "<", "right": 35},
       "exit": {"left": "rsi", "op": ">", "right": 60}}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signals")
    settings = make_settings(tmp, auth=AUTH, control={"api_key": ADMIN_KEY},
                             simulator={"seed": 7, "backfill_years": 2,
                                        "backfill_minute_days": 1})
    container = bootstrap(settings, clock=FakeClock(MARKET_TIME))
    published = EventCapture()
    container.bus.subscribe(SIGNAL_GENERATED.name, "test-capture", published)
    async with backfilled_client(container) as client:
        pro, other, free = (await sign_up(client, tier="pro"), await sign_up(client, tier="pro"),
                            await sign_up(client))
        yield container, client, pro, other, free, published


def data(resp, status: int = 200):
    assert resp.status_code == status, resp.text
    assert "NaN" not in resp.text and "Infinity" not in resp.text
    return json.loads(resp.text)["data"]


async def test_current_signals_of_every_strategy_under_v1_and_api(world):
    container, client, *_ = world
    body = data(await client.get("/v1/signals/aapl"))
    assert body["ticker"] == "AAPL" and body["interval"] == "1d"
    assert [s["strategy"] for s in body["signals"]] + [body["ensemble"]["strategy"]] == \
        sorted(NAMES, key=list(NAMES).index)
    for s in [*body["signals"], body["ensemble"]]:
        assert s["action"] in ("buy", "sell", "hold")
        assert 0 <= s["strength"] <= 1 and 0 <= s["confidence"] <= 1
        for reason in s["reasons"]:
            assert reason["rule"] and isinstance(reason["values"], dict)
    # The last closed daily bar before the clock: its close is at or before now.
    assert body["as_of"] <= MARKET_TIME.isoformat()
    assert data(await client.get("/api/signals/AAPL")) == body
    # The port the intel context calls answers the same body.
    assert await container.port(SignalReader).current("AAPL") == body


async def test_unknown_tickers_are_404_problems(world):
    _, client, *_ = world
    assert_problem(await client.get("/v1/signals/NOPE"), 404)
    assert_problem(await client.get("/api/signals/NOPE/backtest"), 404)


async def test_a_built_in_backtest_reports_metrics_and_both_checks(world):
    _, client, *_ = world
    body = data(await client.get("/api/signals/MSFT/backtest",
                                 params={"strategy": "trend", "start": "2025-06-01",
                                         "commission_bps": 5, "slippage_bps": 5}))
    assert body["strategy"] == "trend" and body["tickers"] == ["MSFT"]
    assert body["start"] >= "2025-06-01" and body["costs"] == {"commission_bps": 5.0,
                                                               "slippage_bps": 5.0}
    metrics = {"total_return", "cagr", "volatility", "sharpe", "sortino", "calmar",
               "max_drawdown", "max_drawdown_bars", "exposure", "trades", "win_rate",
               "profit_factor", "expectancy", "average_trade"}
    assert set(body["metrics"]["strategy"]) == metrics == set(body["metrics"]["buy_and_hold"])
    checks = body["checks"]["MSFT"]
    assert checks["truncation"]["passed"] and len(checks["truncation"]["dates"]) >= 2
    # Eighteen months in, with two years stored: the check had older history to load.
    assert checks["warmup"]["passed"] and checks["warmup"]["extra_bars"] > 0
    assert body["equity"][0]["equity"] == 1.0


async def test_backtest_refusals_are_422_problems(world):
    _, client, pro, *_ = world
    p = assert_problem(await client.get("/v1/signals/AAPL/backtest?strategy=astrology"), 422)
    assert "trend" in p["detail"]
    assert_problem(await client.get("/v1/signals/AAPL/backtest",
                                    params={"start": "2025-01-01", "end": "2024-01-01"}), 422)
    assert_problem(await client.post("/v1/signals/backtest", headers=pro.headers, json={
        "tickers": ["AAPL"], "strategy": {**RSI, "entry": {"left": "close", "op": "~",
                                                             "right": 1}}}), 422)
    assert_problem(await client.post("/v1/signals/backtest", headers=pro.headers, json={
        "tickers": ["AAPL"], "strategy": RSI, "strategy_id": "trend"}), 422)
    forward = {**RSI, "entry": {"left": {"ref": "close", "bars_ago": -1}, "op": ">",
                                "right": "close"}}
    p = assert_problem(await client.post("/v1/signals/backtest", headers=pro.headers,
                                         json={"tickers": ["AAPL"], "strategy": forward}), 422)
    assert any("bars_ago" in e["loc"] for e in p["errors"]), p


async def test_a_user_strategy_on_many_tickers_needs_read_predictions(world):
    _, client, pro, _, free, _ = world
    body = {"tickers": ["AAPL", "KO", "MSFT"], "strategy": RSI, "weighting": "signal"}
    assert_problem(await client.post("/v1/signals/backtest", json=body), 401)
    assert_problem(await client.post("/v1/signals/backtest", json=body, headers=free.headers),
                   403)
    out = data(await client.post("/v1/signals/backtest", json=body, headers=pro.headers))
    assert out["tickers"] == ["AAPL", "KO", "MSFT"] and out["weighting"] == "signal"
    assert set(out["checks"]) == {"AAPL", "KO", "MSFT"}
    equal = data(await client.post("/v1/signals/backtest", headers=pro.headers,
                                   json={**body, "weighting": "equal"}))
    assert equal["metrics"]["buy_and_hold"] == out["metrics"]["buy_and_hold"]
    assert equal["metrics"]["strategy"] != out["metrics"]["strategy"]


async def test_saved_strategies_belong_to_their_owner(world):
    _, client, pro, other, *_ = world
    made = data(await client.post("/v1/strategies", json=RSI, headers=pro.headers), 201)
    sid = made["id"]
    assert made["document"] == RSI
    assert [s["id"] for s in data(await client.get("/v1/strategies", headers=pro.headers))] \
        == [sid]
    assert data(await client.get("/v1/strategies", headers=other.headers)) == []
    assert_problem(await client.get(f"/v1/strategies/{sid}", headers=other.headers), 404)
    assert_problem(await client.delete(f"/v1/strategies/{sid}", headers=other.headers), 404)
    # The owner backtests it by id; another caller naming the id gets the built-in list.
    out = data(await client.get(f"/v1/signals/KO/backtest?strategy={sid}",
                                headers=pro.headers))
    assert out["strategy"] == f"user:{sid}"
    assert_problem(await client.get(f"/v1/signals/KO/backtest?strategy={sid}",
                                    headers=other.headers), 422)
    posted = data(await client.post("/v1/signals/backtest", headers=pro.headers,
                                    json={"tickers": ["KO"], "strategy_id": sid}))
    assert posted["metrics"] == out["metrics"]
    assert_problem(await client.post("/v1/strategies", headers=pro.headers,
                                     json={"name": "x", "entry": {"left": "rsi", "op": "<",
                                                                  "right": 3}}), 422)
    assert (await client.delete(f"/v1/strategies/{sid}", headers=pro.headers)).status_code == 204
    assert_problem(await client.get(f"/v1/strategies/{sid}", headers=pro.headers), 404)


async def test_the_strategy_schema_is_served_and_in_openapi(world):
    _, client, pro, *_ = world
    schema = data(await client.get("/v1/strategies/schema", headers=pro.headers))
    assert schema["title"] == "StrategyDocument" and "StrategyComparison" in schema["$defs"]
    openapi = (await client.get("/openapi.json")).json()
    components = openapi["components"]["schemas"]
    assert {"StrategyDocument", "StrategyComparison", "StrategyAll", "StrategyNot"} <= set(components)
    body = openapi["paths"]["/v1/strategies"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/StrategyDocument"}
    from openapi_spec_validator import validate

    validate(openapi)


async def test_the_premarket_scan_runs_as_a_job_over_watchlists(world):
    _, client, pro, _, _, published = world
    resp = await client.post("/v1/watchlists", headers=pro.headers,
                             json={"name": "core", "tickers": ["AAPL", "NVDA", "RELIANCE"]})
    assert resp.status_code == 201, resp.text
    run = await client.post("/api/admin/jobs/signals-premarket-scan/run", headers=ADMIN)
    assert run.status_code == 202, run.text

    async def finished():
        runs = data(await client.get("/api/admin/jobs/signals-premarket-scan/runs",
                                     headers=ADMIN))
        return runs if runs and runs[0]["status"] not in ("running", "queued") else None

    runs = await eventually(finished, timeout=60)
    assert runs[0]["status"] == "ok", runs[0]
    stats = runs[0]["stats"]
    assert stats["tickers"] == 2 and stats["failed"] == []     # RELIANCE waits for NSE
    assert sum(stats["ensemble"].values()) == 2
    announced = [e for e in published.events if e.data["ticker"] in ("AAPL", "NVDA")]
    assert len(announced) == stats["announced"]


async def test_news_sentiment_heard_on_the_bus_moves_the_sentiment_signal(world):
    container, client, *_ = world
    from datetime import timedelta

    from stockflow.core.catalogue import NEWS_SENTIMENT

    before = data(await client.get("/v1/signals/KO"))
    sentiment = next(s for s in before["signals"] if s["strategy"] == "news_sentiment")
    assert sentiment["action"] == "hold"
    heard = MARKET_TIME - timedelta(days=1)       # during the last closed bar
    events = [NEWS_SENTIMENT.event({"article_id": f"ko-{i}", "ticker": "KO", "score": 0.8,
                                    "label": "bullish", "confidence": 0.9, "tickers": {}},
                                   key="KO", time=heard) for i in range(3)]
    await container.bus.publish_many(NEWS_SENTIMENT.name, events)

    async def moved():
        body = data(await client.get("/v1/signals/KO"))
        return next((s for s in body["signals"] if s["strategy"] == "news_sentiment"
                     and s["action"] == "buy" and s["reasons"][0]["values"]["articles_3"] == 3),
                    None)

    found = await eventually(moved, timeout=20)
    assert found["reasons"][0]["values"]["articles_3"] == 3.0
    assert found["reasons"][0]["values"]["sentiment_3"] == 0.8
