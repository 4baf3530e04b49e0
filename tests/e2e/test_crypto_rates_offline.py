"""Crypto rates with no vendor switched on: every fiat currency of the FX table is answered by
crossing the coin's USD pair with the market's FX pairs, and the rates obey the quote tiers
(free and anonymous callers get them delayed, and marked so)."""

from __future__ import annotations

import pytest

from stockflow.market.assets import FIAT_CURRENCIES
from tests.conftest import assert_problem
from tests.e2e.users_support import sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _quotes(client, headers, tickers):
    resp = await client.get("/v1/quotes", params={"tickers": ",".join(tickers)},
                            headers=headers)
    assert resp.status_code == 200, resp.text
    return {q["ticker"]: q for q in resp.json()["data"]}


async def test_rates_in_every_fiat_currency_cross_through_fx_pairs(users_app):
    _, client, _ = users_app
    pro = await sign_up(client, tier="pro")
    vs = sorted(c.lower() for c in FIAT_CURRENCIES)
    resp = await client.get("/v1/crypto/rates", headers=pro.headers,
                            params={"ids": "bitcoin,ethereum", "vs": ",".join([*vs, "btc"])})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    q = await _quotes(client, pro.headers, ["BTC-USD", "ETH-USD", "EURUSD", "USDJPY", "USDINR"])
    btc = q["BTC-USD"]["price"]
    assert data["bitcoin"]["usd"] == btc
    assert data["bitcoin"]["eur"] == pytest.approx(btc / q["EURUSD"]["price"])
    assert data["bitcoin"]["jpy"] == pytest.approx(btc * q["USDJPY"]["price"])
    assert data["ethereum"]["inr"] == pytest.approx(q["ETH-USD"]["price"] * q["USDINR"]["price"])
    assert data["ethereum"]["btc"] == pytest.approx(q["ETH-USD"]["price"] / btc)
    assert all(c in data["bitcoin"] and f"{c}_24h_change" in data["bitcoin"] for c in vs)
    assert "delayed" not in resp.json()["meta"]


async def test_free_and_anonymous_callers_get_delayed_rates_like_their_quotes(users_app):
    container, client, _ = users_app
    free, pro = await sign_up(client), await sign_up(client, tier="pro")
    params = {"ids": "bitcoin,ethereum", "vs": "usd,eur"}
    live = (await client.get("/v1/crypto/rates", params=params, headers=pro.headers)).json()
    for headers in (free.headers, {}):
        resp = await client.get("/v1/crypto/rates", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["meta"]["delayed"] is True and body["meta"]["delay_seconds"] == 900
        late = await _quotes(client, headers, ["BTC-USD", "EURUSD"])
        assert body["data"]["bitcoin"]["usd"] == late["BTC-USD"]["price"]
        assert body["data"]["bitcoin"]["eur"] == pytest.approx(
            late["BTC-USD"]["price"] / late["EURUSD"]["price"])
        assert body["data"]["bitcoin"]["usd"] != live["data"]["bitcoin"]["usd"]
        stamp = body["data"]["bitcoin"]["last_updated_at"]
        assert stamp <= container.clock.now().timestamp() - 900
    assert_problem(await client.get("/v1/crypto/rates", headers=free.headers,
                                    params={"ids": "notacoin"}), 404)
