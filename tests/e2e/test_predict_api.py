"""The predict context through the real app: every route answers a pro user with its backtest,
refuses free and anonymous callers, and answers bad input with a problem (never a 500 or a
NaN); the weekly training and the daily batch run as jobs on local worker processes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import pytest_asyncio

from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import PREDICTION_GENERATED
from stockflow.market.ports import MarketReader
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, assert_problem, backfilled_client, make_settings
from tests.e2e.users_support import ADMIN_KEY, AUTH, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")
PREDICT = {"forecast_origins": 4, "forecast_step": 7, "fit_budget_seconds": 2.0,
           "batch_tickers": ["AAPL", "KO"], "local_workers": 1}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("predict")
    settings = make_settings(tmp, auth=AUTH, predict=PREDICT, control={"api_key": ADMIN_KEY},
                             simulator={"seed": 7, "backfill_years": 2,
                                        "backfill_minute_days": 1})
    container = bootstrap(settings, clock=FakeClock(MARKET_TIME))
    published = EventCapture()
    container.bus.subscribe(PREDICTION_GENERATED.name, "test-capture", published)
    async with backfilled_client(container) as client:
        pro, free = await sign_up(client, tier="pro"), await sign_up(client)
        yield container, client, pro, free, published


def body(resp) -> dict:
    assert resp.status_code == 200, resp.text
    assert "NaN" not in resp.text and "Infinity" not in resp.text
    return json.loads(resp.text)["data"]


async def test_read_predictions_is_needed(world) -> None:
    _, client, pro, free, _ = world
    assert_problem(await client.get("/v1/analyze/risk/AAPL"), 401)
    assert_problem(await client.get("/v1/analyze/risk/AAPL", headers=free.headers), 403)
    assert_problem(await client.post("/v1/analyze/portfolio", headers=free.headers,
                                     json={"weights": {"AAPL": 1.0}}), 403)
    body(await client.get("/v1/analyze/risk/AAPL", headers=pro.headers))
    enterprise = await sign_up(client, tier="enterprise")
    body(await client.get("/v1/predict/volatility/KO", headers=enterprise.headers))


async def test_every_predict_route_refuses_who_lacks_read_predictions(world) -> None:
    from stockflow.predict.api import ROUTERS

    container, client, _, free, _ = world
    table = container.registry.permissions
    routes = [(m, r.path.replace("{ticker}", "AAPL")) for router in ROUTERS
              for r in router.routes for m in r.methods]
    assert len(routes) == 6
    callers = {"anonymous": ({}, 401), "operator": ({"X-API-Key": ADMIN_KEY}, 401),
               "free": (free.headers, 403)}
    for method, path in routes:
        assert table.required(path) == "read:predictions", path
        for headers, status in callers.values():
            assert_problem(await client.request(method, path, headers=headers), status)


async def test_price_forecast_with_its_backtest_and_what_was_used(world) -> None:
    _, client, pro, _, _ = world
    out = body(await client.get("/v1/predict/price/aapl?days=3", headers=pro.headers))
    assert out["ticker"] == "AAPL" and [d["day"] for d in out["days"]] == [1, 2, 3]
    assert out["source"] == "fitted on request" and "naive" in out["fitting"]["used"]
    assert out["fitting"]["budget_seconds"] == 2.0
    assert out["backtest"][-1]["model"] == "ensemble" and out["backtest"][-1]["origins"] == 4
    assert out["skill"] == ("none" if out["mase"] >= 1 else "some")
    assert_problem(await client.get("/v1/predict/price/AAPL?days=8", headers=pro.headers), 422)
    missing = assert_problem(await client.get("/v1/predict/price/NOPE", headers=pro.headers),
                             404)
    assert "NOPE" in missing["detail"]


async def test_volatility_risk_and_anomalies_answer(world) -> None:
    _, client, pro, _, _ = world
    vol = body(await client.get("/v1/predict/volatility/BTC-USD", headers=pro.headers))
    assert vol["periods_per_year"] == 365 and "garch" in vol["models"]
    risk = body(await client.get("/v1/analyze/risk/KO?benchmark=SPY", headers=pro.headers))
    assert risk["beta"] is not None and risk["backtests"] is not None
    hist = risk["var_es"]["historical"]["99"]["1d"]
    assert 0 < hist["var"] <= hist["es"]
    found = body(await client.get("/v1/analyze/anomalies/MSFT", headers=pro.headers))
    assert found["features"] == ["return", "range", "gap", "volume"]


async def test_correlation_of_fifty_names_the_unknown_ticker(world) -> None:
    container, client, pro, _, _ = world
    tickers = sorted(i.ticker for i in container.port(MarketReader).universe)[:49]
    wanted = ",".join([*tickers[:20], "ZZZZ", *tickers[20:]])
    problem = assert_problem(await client.get(f"/v1/analyze/correlation?tickers={wanted}",
                                              headers=pro.headers), 404)
    assert problem["unknown"] == ["ZZZZ"] and "ZZZZ" in problem["detail"]
    too_many = ",".join(f"T{i}" for i in range(51))
    assert_problem(await client.get(f"/v1/analyze/correlation?tickers={too_many}",
                                    headers=pro.headers), 422)
    assert_problem(await client.get("/v1/analyze/correlation?tickers=,,",
                                    headers=pro.headers), 422)
    few = assert_problem(await client.get("/v1/analyze/correlation?tickers=AAPL,KO&window=2000",
                                          headers=pro.headers), 422)
    assert few["errors"][0]["needed"] == 2001 and "2001" in few["detail"]   # two years < 2000
    out = body(await client.get("/v1/analyze/correlation?tickers=AAPL,MSFT,KO&method=spearman",
                                headers=pro.headers))
    m = np.array(out["matrix"], dtype=float)
    np.testing.assert_allclose(m, m.T)
    np.testing.assert_allclose(np.diag(m), 1.0)


async def test_portfolio_weights_and_a_stored_portfolio_of_its_owner_only(world) -> None:
    _, client, pro, _, _ = world
    url = "/v1/analyze/portfolio"
    short = assert_problem(await client.post(url, headers=pro.headers, json={
        "weights": {"AAPL": 0.5, "MSFT": 0.4}}), 422)
    assert "0.9" in short["detail"]
    negative = assert_problem(await client.post(url, headers=pro.headers, json={
        "weights": {"AAPL": 1.2, "MSFT": -0.2}}), 422)
    assert "MSFT" in negative["detail"]
    out = body(await client.post(url, headers=pro.headers, json={
        "weights": {"AAPL": 0.6, "MSFT": 0.4}, "optimise": "min_variance",
        "max_weight": 0.7}))
    assert sum(out["optimised"]["weights"].values()) == pytest.approx(1.0)
    assert max(out["optimised"]["weights"].values()) <= 0.7 + 1e-9
    pf = (await client.post("/v1/portfolios", headers=pro.headers, json={
        "name": "mine", "transactions": [
            {"ticker": t, "side": "buy", "quantity": q, "price": 100,
             "executed_at": "2025-11-03T15:00:00Z"} for t, q in (("AAPL", 3), ("KO", 10))],
    })).json()["data"]
    stored = body(await client.post(url, headers=pro.headers, json={"portfolio_id": pf["id"]}))
    assert stored["tickers"] == ["AAPL", "KO"] and stored["portfolio"]["id"] == pf["id"]
    assert sum(stored["weights"]) == pytest.approx(1.0)
    intruder = await sign_up(client, tier="pro")
    assert_problem(await client.post(url, headers=intruder.headers,
                                     json={"portfolio_id": pf["id"]}), 404)


async def test_training_and_batch_jobs_feed_the_online_answer(world) -> None:
    container, client, pro, _, published = world
    jobs = container.registry.jobs
    assert {"predict-features", "predict-training", "predict-batch"} <= set(jobs)
    assert await jobs["predict-training"].run() == {"registered": 2}
    stats = await jobs["predict-batch"].run()
    assert stats["predicted"] == 2 and stats["untrained"] == []
    out = body(await client.get("/v1/predict/price/KO?days=7", headers=pro.headers))
    assert out["source"] == "registry price/KO/v1" and len(out["days"]) == 7
    await container.bus.drain()
    assert sorted(e.key for e in published.of_type(PREDICTION_GENERATED.name)) == ["AAPL", "KO"]
