"""Caller input at the edges of what the platform computes: instants near year 1 and 9999,
quantities and prices near the float limit, and a position closed to zero. Each answers a
problem or a correct figure, never a 500 or a null."""

from __future__ import annotations

import math

import pytest

from tests.conftest import assert_problem
from tests.e2e.users_support import sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Both are valid ISO 8601 instants whose UTC equivalent falls outside Python's datetime range.
EXTREMES = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00")


def _tx(**over):
    return {"ticker": "MSFT", "side": "buy", "quantity": 1, "price": 100,
            "executed_at": "2025-10-01T15:00:00Z", **over}


async def test_history_bounds_beyond_the_datetime_range_answer_200(users_app):
    _, client, _ = users_app
    me = await sign_up(client)
    start = await client.get("/v1/historical/AAPL", headers=me.headers,
                             params={"start": EXTREMES[0]})
    assert start.status_code == 200, start.text
    assert start.json()["data"], "a start before all data covers all of it"
    end = await client.get("/v1/historical/AAPL", headers=me.headers,
                           params={"end": EXTREMES[1], "limit": 3})
    assert end.status_code == 200, end.text
    both = await client.get("/v1/historical/AAPL", headers=me.headers,
                            params={"start": EXTREMES[1], "end": EXTREMES[0]})
    assert_problem(both, 422)  # start after end is still the caller's mistake


async def test_executed_at_beyond_the_datetime_range_is_a_422(users_app):
    _, client, _ = users_app
    me = await sign_up(client)
    for at in (*EXTREMES, "1066-10-14T09:00:00Z"):
        resp = await client.post("/v1/portfolios", headers=me.headers,
                                 json={"name": "p", "transactions": [_tx(executed_at=at)]})
        problem = assert_problem(resp, 422)
        assert "executed_at" in problem["detail"], problem
    pf = (await client.post("/v1/portfolios", headers=me.headers,
                            json={"name": "p"})).json()["data"]
    resp = await client.post(f"/v1/portfolios/{pf['id']}/transactions", headers=me.headers,
                             json=_tx(executed_at=EXTREMES[0]))
    assert_problem(resp, 422)


@pytest.mark.parametrize("field,value", [("quantity", 1e308), ("price", 1e308),
                                         ("fee", 1e308), ("quantity", 1e-30),
                                         ("price", 1e-30)])
async def test_quantities_and_prices_beyond_what_the_platform_computes_are_a_422(
        users_app, field, value):
    _, client, _ = users_app
    me = await sign_up(client)
    resp = await client.post("/v1/portfolios", headers=me.headers,
                             json={"name": "p", "transactions": [_tx(**{field: value})]})
    problem = assert_problem(resp, 422)
    assert any(field in str(e.get("loc", e)) for e in problem["errors"]), problem


async def test_the_largest_accepted_position_keeps_every_figure_finite(users_app):
    from stockflow.users.schemas import MAX_PRICE, MAX_QUANTITY

    _, client, _ = users_app
    me = await sign_up(client)
    txs = [_tx(quantity=MAX_QUANTITY, price=MAX_PRICE, fee=MAX_PRICE),
           _tx(quantity=MAX_QUANTITY, price=MAX_PRICE, executed_at="2025-10-02T15:00:00Z")]
    pf = (await client.post("/v1/portfolios", headers=me.headers,
                            json={"name": "big", "transactions": txs})).json()["data"]
    perf = (await client.get(f"/v1/portfolios/{pf['id']}/performance",
                             headers=me.headers)).json()["data"]
    for key in ("market_value", "cost_basis", "unrealised_pnl", "time_weighted_return"):
        assert perf[key] is not None and math.isfinite(perf[key]), (key, perf[key])


async def test_a_position_closed_at_a_profit_reports_its_gain_after_the_sale(users_app):
    _, client, _ = users_app
    me = await sign_up(client)
    txs = [_tx(quantity=3, price=500),
           _tx(side="sell", quantity=3, price=520, fee=1, executed_at="2025-10-15T15:00:00Z")]
    pf = (await client.post("/v1/portfolios", headers=me.headers,
                            json={"name": "round trip", "transactions": txs})).json()["data"]
    # Bought at 500, sold at 520 less a 1.00 fee on 1,560 of proceeds; every close in between
    # cancels out of the chain.
    expected = 520 / 500 * (1559 / 1560) - 1
    for end in ("2025-10-15", "2025-10-16", "2025-11-20", None):
        params = {"end": end} if end else {}
        resp = await client.get(f"/v1/portfolios/{pf['id']}/performance", headers=me.headers,
                                params=params)
        assert resp.status_code == 200, (end, resp.text)
        perf = resp.json()["data"]
        assert perf["time_weighted_return"] == pytest.approx(expected, abs=1e-8), end
        assert perf["realised_pnl"] == pytest.approx(3 * 20 - 1)
        assert perf["market_value"] == 0
