"""Watchlists and portfolios through the API: CRUD, events, performance from stored closes,
and object-level authorisation on every route and method."""

from __future__ import annotations

import itertools

import pytest

from stockflow.market.service import MarketDataService
from stockflow.testing.eventually import eventually
from tests.conftest import assert_problem
from tests.e2e.users_support import sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_watchlist_crud_and_updated_events(users_app):
    _, client, events = users_app
    me = await sign_up(client)
    resp = await client.post("/v1/watchlists", headers=me.headers,
                             json={"name": "AI", "tickers": ["nvda", "MSFT", "NVDA"]})
    assert resp.status_code == 201
    wl = resp.json()["data"]
    assert wl["tickers"] == ["NVDA", "MSFT"]  # normalised, duplicates collapsed
    path = f"/v1/watchlists/{wl['id']}"
    resp = await client.put(path, headers=me.headers, json={"tickers": ["BTC-USD"]})
    assert resp.json()["data"] == {**wl, "tickers": ["BTC-USD"],
                                   "updated_at": resp.json()["data"]["updated_at"]}
    listed = (await client.get("/v1/watchlists", headers=me.headers)).json()["data"]
    assert [w["id"] for w in listed] == [wl["id"]]
    assert_problem(await client.post("/v1/watchlists", headers=me.headers,
                                     json={"name": "x", "tickers": ["NOPE"]}), 422)
    assert (await client.delete(path, headers=me.headers)).status_code == 204
    assert_problem(await client.get(path, headers=me.headers), 404)

    def mine():
        return [e.data["action"] for e in events.of_type("watchlist.updated")
                if e.data["user_id"] == me.user_id]

    await eventually(lambda: len(mine()) == 3)
    assert mine() == ["created", "updated", "deleted"]


async def test_mass_assignment_on_watchlists_and_portfolios_is_refused(users_app):
    _, client, _ = users_app
    me, other = await sign_up(client), await sign_up(client)
    for path, body in (("/v1/watchlists", {"name": "w", "user_id": other.user_id}),
                       ("/v1/portfolios", {"name": "p", "user_id": other.user_id}),
                       ("/v1/portfolios", {"name": "p", "id": "chosen-id"})):
        assert_problem(await client.post(path, headers=me.headers, json=body), 422)
    assert (await client.get("/v1/watchlists", headers=other.headers)).json()["data"] == []


async def test_another_users_ids_answer_404_on_every_route_and_method(users_app):
    _, client, _ = users_app
    owner, intruder = await sign_up(client), await sign_up(client)
    wl = (await client.post("/v1/watchlists", headers=owner.headers,
                            json={"name": "mine", "tickers": ["AAPL"]})).json()["data"]
    pf = (await client.post("/v1/portfolios", headers=owner.headers, json={
        "name": "mine", "transactions": [{"ticker": "AAPL", "side": "buy", "quantity": 1,
                                          "price": 100, "executed_at": "2025-11-03T15:00:00Z"}],
    })).json()["data"]
    txs = (await client.get(f"/v1/portfolios/{pf['id']}/transactions",
                            headers=owner.headers)).json()["data"]
    tx = {"ticker": "AAPL", "side": "buy", "quantity": 1, "price": 1}
    routes = [
        ("GET", f"/v1/watchlists/{wl['id']}", None),
        ("PUT", f"/v1/watchlists/{wl['id']}", {"name": "stolen"}),
        ("DELETE", f"/v1/watchlists/{wl['id']}", None),
        ("GET", f"/v1/portfolios/{pf['id']}", None),
        ("PUT", f"/v1/portfolios/{pf['id']}", {"name": "stolen"}),
        ("DELETE", f"/v1/portfolios/{pf['id']}", None),
        ("GET", f"/v1/portfolios/{pf['id']}/transactions", None),
        ("POST", f"/v1/portfolios/{pf['id']}/transactions", tx),
        ("DELETE", f"/v1/portfolios/{pf['id']}/transactions/{txs[0]['id']}", None),
        ("GET", f"/v1/portfolios/{pf['id']}/performance", None),
    ]
    for method, path, body in routes:
        resp = await client.request(method, path, headers=intruder.headers, json=body)
        assert_problem(resp, 404)
        # The same for ids that do not exist at all: no difference to learn from.
        missing = path.replace(wl["id"], "0" * 36).replace(pf["id"], "0" * 36)
        assert_problem(await client.request(method, missing, headers=intruder.headers,
                                            json=body), 404)
        assert_problem(await client.request(method, path, json=body), 401)  # anonymous
    # Nothing changed for the owner.
    assert (await client.get(f"/v1/watchlists/{wl['id']}", headers=owner.headers)
            ).json()["data"]["name"] == "mine"
    got = (await client.get(f"/v1/portfolios/{pf['id']}", headers=owner.headers)).json()
    assert got["data"]["name"] == "mine" and got["data"]["positions"][0]["quantity"] == 1
    assert (await client.get("/v1/watchlists", headers=intruder.headers)).json()["data"] == []
    assert (await client.get("/v1/portfolios", headers=intruder.headers)).json()["data"] == []


async def test_portfolio_positions_and_performance_from_stored_closes(users_app):
    container, client, _ = users_app
    me = await sign_up(client)
    txs = [{"ticker": "MSFT", "side": "buy", "quantity": 10, "price": 400, "fee": 1,
            "executed_at": "2025-10-01T15:00:00Z"},
           {"ticker": "MSFT", "side": "sell", "quantity": 4, "price": 410,
            "executed_at": "2025-10-15T15:00:00Z"}]
    resp = await client.post("/v1/portfolios", headers=me.headers,
                             json={"name": "core", "transactions": txs})
    assert resp.status_code == 201, resp.text
    pf = resp.json()["data"]
    assert pf["positions"] == [{"ticker": "MSFT", "currency": "USD", "quantity": 6,
                                "average_cost": 400.1, "cost_basis": pytest.approx(2400.6),
                                "cost_basis_base": pytest.approx(2400.6)}]
    assert pf["realised_pnl"] == pytest.approx(4 * (410 - 400.1))
    added = await client.post(f"/v1/portfolios/{pf['id']}/transactions", headers=me.headers,
                              json={"ticker": "NVDA", "side": "buy", "quantity": 2,
                                    "price": 150, "executed_at": "2025-11-03T15:00:00Z"})
    assert added.status_code == 201
    oversell = await client.post(f"/v1/portfolios/{pf['id']}/transactions", headers=me.headers,
                                 json={"ticker": "NVDA", "side": "sell", "quantity": 3,
                                       "price": 150})
    assert_problem(oversell, 422)

    for future in ("9999-12-31", "2099-01-01"):  # a day after today is the caller's mistake
        assert_problem(await client.get(f"/v1/portfolios/{pf['id']}/performance",
                                        params={"end": future}, headers=me.headers), 422)
    perf = (await client.get(f"/v1/portfolios/{pf['id']}/performance", headers=me.headers)
            ).json()["data"]
    from stockflow.market.domain import Interval

    store = container.port(MarketDataService).store
    closes = {}
    for ticker in ("MSFT", "NVDA"):
        (bar,) = await store.last_bars(ticker, Interval.D1, container.clock.now(), 1)
        closes[ticker] = bar.close
    expected_value = 6 * closes["MSFT"] + 2 * closes["NVDA"]
    assert perf["market_value"] == pytest.approx(expected_value)
    assert perf["cost_basis"] == pytest.approx(2400.6 + 300)
    assert perf["unrealised_pnl"] == pytest.approx(expected_value - 2700.6)
    assert perf["realised_pnl"] == pytest.approx(39.6)
    series = perf["series"]
    assert series[0]["date"] == "2025-10-01" and series[-1]["value"] == pytest.approx(
        expected_value)
    assert all(a["date"] < b["date"] for a, b in itertools.pairwise(series))
    assert perf["time_weighted_return"] == pytest.approx(series[-1]["cumulative_return"])
    # Deleting the buy would leave the sale uncovered: refused.
    all_txs = (await client.get(f"/v1/portfolios/{pf['id']}/transactions",
                                headers=me.headers)).json()["data"]
    buy = next(t for t in all_txs if t["ticker"] == "MSFT" and t["side"] == "buy")
    assert_problem(await client.delete(f"/v1/portfolios/{pf['id']}/transactions/{buy['id']}",
                                       headers=me.headers), 422)
