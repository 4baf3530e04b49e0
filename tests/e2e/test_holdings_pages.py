"""Watchlists and portfolios list with the seeds' cursor pagination: `limit`, `cursor`,
`meta.has_more` and `meta.next_cursor`, like every other list of the API."""

from __future__ import annotations

import base64

import orjson
import pytest

from tests.conftest import assert_problem
from tests.e2e.users_support import sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _walk(client, path, headers, limit):
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = await client.get(path, headers=headers, params=params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        pages.append([row["id"] for row in body["data"]])
        assert body["meta"]["has_more"] is (body["meta"]["next_cursor"] is not None)
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("path,body", [("/v1/watchlists", {"tickers": ["AAPL"]}),
                                       ("/v1/portfolios", {})])
async def test_lists_page_by_cursor_in_creation_order(users_app, path, body):
    _, client, _ = users_app
    me, other = await sign_up(client), await sign_up(client)
    made = []
    for n in range(5):
        resp = await client.post(path, headers=me.headers, json={"name": f"n{n}", **body})
        made.append(resp.json()["data"]["id"])
    await client.post(path, headers=other.headers, json={"name": "theirs", **body})
    pages = await _walk(client, path, me.headers, 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    # The test clock stands still, so rows made in one instant come in id order.
    (everything,) = await _walk(client, path, me.headers, 200)
    assert [i for p in pages for i in p] == everything and sorted(everything) == sorted(made)
    # Another query's cursor, a forged one and a bad limit are the caller's mistakes.
    foreign = base64.urlsafe_b64encode(orjson.dumps({"offset": 2})).decode()
    for params in ({"cursor": foreign}, {"cursor": "%%%"}, {"limit": 0}, {"limit": 201}):
        assert_problem(await client.get(path, headers=me.headers, params=params), 422)
