"""Portfolios in a base currency: positions of several currencies are converted at the FX rate
of each day from the market's own FX pairs, and the response says which rates it used."""

from __future__ import annotations

import pytest

from stockflow.market.domain import Interval
from stockflow.market.service import MarketDataService
from tests.conftest import assert_problem
from tests.e2e.users_support import sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")

TXS = [{"ticker": "AAPL", "side": "buy", "quantity": 10, "price": 250,
        "executed_at": "2025-10-01T15:00:00Z"},
       {"ticker": "RELIANCE", "side": "buy", "quantity": 10, "price": 1400,
        "executed_at": "2025-10-01T06:00:00Z"}]


async def _last_close(container, ticker):
    store = container.port(MarketDataService).store
    (bar,) = await store.last_bars(ticker, Interval.D1, container.clock.now(), 1)
    return bar


async def _rate_on(container, ticker, day):
    store = container.port(MarketDataService).store
    bars = [b for b in await store.read_bars(ticker, Interval.D1, None, None, 5000)
            if b.time.date() <= day]
    return bars[-1].close


async def test_mixed_currencies_are_converted_into_the_base_currency(users_app):
    container, client, _ = users_app
    me = await sign_up(client)
    pf = (await client.post("/v1/portfolios", headers=me.headers,
                            json={"name": "world", "transactions": TXS})).json()["data"]
    assert pf["base_currency"] == "USD"
    perf = (await client.get(f"/v1/portfolios/{pf['id']}/performance",
                             headers=me.headers)).json()["data"]
    aapl, rel = await _last_close(container, "AAPL"), await _last_close(container, "RELIANCE")
    usdinr = await _rate_on(container, "USDINR", rel.time.date())
    expected = 10 * aapl.close + 10 * rel.close / usdinr
    assert perf["market_value"] == pytest.approx(expected, rel=1e-9)
    # The defect this replaces: dollars and rupees added as if one currency.
    assert perf["market_value"] != pytest.approx(10 * aapl.close + 10 * rel.close, rel=1e-3)
    usdinr_then = await _rate_on(container, "USDINR", container.clock.now().date().replace(
        month=10, day=1))
    assert perf["cost_basis"] == pytest.approx(2500 + 14_000 / usdinr_then, rel=1e-9)
    by_ticker = {p["ticker"]: p for p in perf["positions"]}
    assert by_ticker["RELIANCE"]["currency"] == "INR"
    assert by_ticker["RELIANCE"]["last_price_local"] == rel.close
    assert by_ticker["RELIANCE"]["fx_rate"] == pytest.approx(1 / usdinr)
    assert by_ticker["AAPL"]["fx_rate"] == 1
    fx = perf["fx"]
    assert list(fx) == ["INR"] and fx["INR"]["pairs"] == ["USDINR"]
    assert set(fx["INR"]["rates"]) == {s["date"] for s in perf["series"]}
    assert fx["INR"]["rates"]["2025-10-01"] == pytest.approx(1 / usdinr_then)


async def test_the_base_currency_is_set_at_creation_and_by_put(users_app):
    container, client, _ = users_app
    me = await sign_up(client)
    pf = (await client.post("/v1/portfolios", headers=me.headers, json={
        "name": "eu", "base_currency": "eur", "transactions": TXS[:1]})).json()["data"]
    assert pf["base_currency"] == "EUR"
    path = f"/v1/portfolios/{pf['id']}"
    eur = (await client.get(f"{path}/performance", headers=me.headers)).json()["data"]
    aapl = await _last_close(container, "AAPL")
    eurusd = await _rate_on(container, "EURUSD", aapl.time.date())
    assert eur["market_value"] == pytest.approx(10 * aapl.close / eurusd, rel=1e-9)
    assert eur["fx"]["USD"]["pairs"] == ["EURUSD"]
    # A cross through the dollar: AAPL in yen needs USDJPY only, RELIANCE in EUR needs two.
    resp = await client.put(path, headers=me.headers, json={"base_currency": "JPY"})
    assert resp.status_code == 200 and resp.json()["data"]["base_currency"] == "JPY"
    jpy = (await client.get(f"{path}/performance", headers=me.headers)).json()["data"]
    usdjpy = await _rate_on(container, "USDJPY", aapl.time.date())
    assert jpy["market_value"] == pytest.approx(10 * aapl.close * usdjpy, rel=1e-9)
    await client.put(path, headers=me.headers, json={"base_currency": "EUR"})
    await client.post(f"{path}/transactions", headers=me.headers, json=TXS[1])
    both = (await client.get(f"{path}/performance", headers=me.headers)).json()["data"]
    assert both["fx"]["INR"]["pairs"] == ["USDINR", "EURUSD"]
    for bad in ("XYZ", "US", "dollars"):
        assert_problem(await client.put(path, headers=me.headers,
                                        json={"base_currency": bad}), 422)
    assert_problem(await client.post("/v1/portfolios", headers=me.headers,
                                     json={"name": "x", "base_currency": "XYZ"}), 422)
