"""Fundamental, forecast and VaR rules fire from the real producers: rules made over the API,
the analysis sync job's `financials.updated` and the predict batch's `prediction.generated` and
`risk.threshold.exceeded` on the embedded platform's bus, the alerts worker evaluating them, a
signed webhook at a local receiver. The fired values are checked against the context's own API
answers, and rules on the wrong side of those values stay silent."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from stockflow.alerts.signing import verify
from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import FINANCIALS_UPDATED, PREDICTION_GENERATED, RISK_THRESHOLD
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, backfilled_client, make_settings
from tests.e2e.users_support import ADMIN_KEY, AUTH, sign_up
from tests.unit.alerts.receiver import Receiver

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOPICS = (FINANCIALS_UPDATED, PREDICTION_GENERATED, RISK_THRESHOLD)
PREDICT = {"forecast_origins": 4, "forecast_step": 7, "fit_budget_seconds": 2.0,
           "batch_tickers": ["AAPL"], "local_workers": 1,
           "var_thresholds": {"AAPL": 0.0001}}   # far below any stock's VaR: it crosses


@pytest.fixture(scope="module")
def receiver():
    with Receiver() as rx:
        yield rx


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(tmp_path_factory, receiver):
    settings = make_settings(
        tmp_path_factory.mktemp("alerts-producers"), auth=AUTH, predict=PREDICT,
        control={"api_key": ADMIN_KEY}, analysis={"preload": False},
        simulator={"seed": 7, "backfill_years": 2, "backfill_minute_days": 1},
        alerts={"webhook_allowed_hosts": ["127.0.0.1/32"],
                "webhook_allowed_ports": [receiver.port], "delivery_poll_seconds": 0.2})
    container = bootstrap(settings, clock=FakeClock(MARKET_TIME))
    published = EventCapture()
    for topic in TOPICS:
        container.bus.subscribe(topic.name, "test-capture", published)
    async with backfilled_client(container) as client:
        yield container, client, published


async def _rule(client, user, channel_id: str, condition: dict) -> str:
    r = await client.post("/v1/alerts", headers=user.headers, json={
        "name": f"{condition['type']} {condition['metric']} {condition['op']}",
        "channel_ids": [channel_id], "condition": {"ticker": "AAPL", **condition}})
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


async def _history(client, user, rid: str) -> list[dict]:
    r = await client.get(f"/v1/alerts/{rid}/history", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_rules_on_fundamentals_forecasts_and_var_fire_from_the_producers(world, receiver):
    container, client, published = world
    user = await sign_up(client, tier="enterprise")
    hook = (await client.post("/v1/alerts/channels", headers=user.headers, json={
        "kind": "webhook", "target": receiver.url + "/producers"})).json()["data"]
    ping = await client.post(f"/v1/alerts/channels/{hook['id']}/verify", headers=user.headers)
    assert ping.json()["data"]["verified"] is True
    fire = {
        "margin": {"type": "fundamental", "metric": "net_margin", "op": ">", "value": -1e9},
        "assets": {"type": "fundamental", "metric": "total_assets", "op": ">", "value": 0},
        "move": {"type": "prediction", "metric": "forecast_move_pct", "horizon": "1d",
                 "op": ">", "value": -100},
        "move_7d": {"type": "prediction", "metric": "forecast_move_pct", "horizon": "7d",
                    "op": ">", "value": -100},
        "var": {"type": "prediction", "metric": "var_pct", "horizon": "1d", "op": ">",
                "value": 0.01},
    }
    silent = {   # the other side of each: what makes the first ones fire is the value
        "margin": {"type": "fundamental", "metric": "net_margin", "op": "<", "value": -1e9},
        "assets": {"type": "fundamental", "metric": "total_assets", "op": "<", "value": 0},
        "move": {"type": "prediction", "metric": "forecast_move_pct", "horizon": "1d",
                 "op": "<", "value": -100},
        "var": {"type": "prediction", "metric": "var_pct", "horizon": "1d", "op": "<",
                "value": 0.01},
    }
    ids = {k: await _rule(client, user, hook["id"], c) for k, c in fire.items()}
    quiet = {k: await _rule(client, user, hook["id"], c) for k, c in silent.items()}
    index = container.registry.running_workers["alerts"].unit.index
    await eventually(lambda: all(r in index.evaluator.index for r in [*ids.values(),
                                                                      *quiet.values()]))
    jobs = container.registry.jobs
    assert (await jobs["analysis-sync-statements"].run())["updated"] != []
    assert await jobs["predict-training"].run() == {"registered": 1}
    assert (await jobs["predict-batch"].run())["thresholds_crossed"] == ["AAPL"]

    async def all_fired() -> bool:
        return all([await _history(client, user, rid) for rid in ids.values()])

    await eventually(all_fired, message="every rule fired from its producer's event")
    await container.bus.drain()
    for event in published.events:           # what the producers sent is what they promise
        next(t for t in TOPICS if t.name == event.type).validate(event)
    fired = {k: (await _history(client, user, rid)) for k, rid in ids.items()}
    assert all(len(h) == 1 for h in fired.values()), fired
    by_type = {e.type: e for e in published.events if e.key == "AAPL"}
    assert fired["margin"][0]["event_id"] == by_type[FINANCIALS_UPDATED.name].id
    assert fired["move"][0]["event_id"] == by_type[PREDICTION_GENERATED.name].id
    assert fired["var"][0]["event_id"] == by_type[RISK_THRESHOLD.name].id

    # The values are the contexts' own answers.
    ratios = (await client.get("/v1/financials/AAPL/ratios", headers=user.headers)).json()
    margin = next(r["value"] for r in ratios["data"]["periods"][0]["ratios"]
                  if r["name"] == "net_margin")
    assert fired["margin"][0]["value"] == pytest.approx(margin)
    price = (await client.get("/v1/predict/price/AAPL?days=7", headers=user.headers)).json()
    assert price["data"]["source"].startswith("registry")
    assert fired["move"][0]["value"] == pytest.approx(price["data"]["days"][0]["change_pct"])
    assert fired["move_7d"][0]["value"] == pytest.approx(price["data"]["days"][6]["change_pct"])
    risk = (await client.get("/v1/analyze/risk/AAPL", headers=user.headers)).json()["data"]
    var = risk["var_es"]["historical"]["99"]["1d"]["var"]
    assert fired["var"][0]["value"] == pytest.approx(var * 100)
    for key, rid in quiet.items():
        assert await _history(client, user, rid) == [], key

    # Each firing reached the receiver, signed, once (the platform's clock is a fixed one in
    # 2025, so the signature is checked at the time it was made).
    await eventually(lambda: len([q for q in receiver.requests if q.path == "/producers"
                                  and b"alert.triggered" in q.body]) >= len(ids))
    sent = [q for q in receiver.requests if q.path == "/producers" and b"alert.triggered" in q.body]
    for q in sent:
        verify(q.body, q.headers, [hook["secret"]], now=MARKET_TIME.timestamp())
    assert sorted(json.loads(q.body)["data"]["alert_id"] for q in sent) == sorted(ids.values())
