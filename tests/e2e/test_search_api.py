"""The search routes through the real app: the universe indexed at start, news arriving over the
bus, tier rules (free: news older than the delay, headline fields only), facets, highlights,
cursors, suggest with typos, and hostile input answered 200 or 422, never 500."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from stockflow.core.catalogue import NEWS_PUBLISHED, NEWS_SENTIMENT
from stockflow.market.ports import MarketReader
from stockflow.testing.eventually import eventually
from tests.conftest import assert_problem
from tests.e2e.users_support import ADMIN_KEY, container_with, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(tmp_path_factory):
    # No statements loaded: financial profiles would join "apple" as they are indexed.
    async with container_with(tmp_path_factory.mktemp("search"), "memory",
                              settings={"control": {"api_key": ADMIN_KEY},
                                        "analysis": {"preload": False}}) as (container, client):
        now = datetime.now(UTC)
        bus = container.platform.bus
        # A label may overtake its article (no order between topics): it is kept until then.
        await bus.publish(NEWS_SENTIMENT.name, NEWS_SENTIMENT.event(
            {"article_id": "old", "label": "positive"}, key="AAPL"))
        for ident, age, title in (("old", 60, "Apple supplier expands iPhone chip output"),
                                  ("fresh", 2, "Apple unveils a new iPhone chip")):
            await bus.publish(NEWS_PUBLISHED.name, NEWS_PUBLISHED.event({
                "id": ident, "title": title, "body": f"Body of the {ident} story about Apple.",
                "tickers": ["AAPL"], "source": "Reuters", "lang": "en",
                "published_at": (now - timedelta(minutes=age)).isoformat()}, key="AAPL"))
        pro = (await sign_up(client, tier="pro")).headers

        def found(q: str, total: int):
            async def check() -> bool:
                r = await client.get("/v1/search/news", params={"q": q}, headers=pro)
                return r.status_code == 200 and r.json()["data"]["total"] == total
            return check
        await eventually(found("apple", 2), timeout=20, message="both articles indexed")
        await eventually(found("apple sentiment:positive", 1), timeout=20,
                         message="the early sentiment applied")
        await bus.publish(NEWS_SENTIMENT.name, NEWS_SENTIMENT.event(
            {"article_id": "fresh", "label": "negative"}, key="AAPL"))
        await eventually(found("apple sentiment:negative", 1), timeout=20,
                         message="the sentiment of an indexed article applied")
        yield client, pro


async def test_universe_companies_are_searchable_at_start(world):
    client, _ = world
    r = await client.get("/v1/search/company", params={"q": "apple"})
    assert r.status_code == 200, r.text
    hits = r.json()["data"]["hits"]
    assert hits[0]["id"] == "AAPL" and hits[0]["type"] == "company"
    assert hits[0]["score"] > 0 and "<mark>" in hits[0]["highlights"]["title"]


async def test_universal_search_has_facets_and_pages_by_cursor(world):
    client, pro = world
    r = await client.get("/v1/search", params={"q": "apple", "limit": 1}, headers=pro)
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["data"]["total"] == 3  # the company and both articles (pro: no delay)
    assert body["data"]["estimated"] is False  # three matches: far inside the ranking window
    assert {b["value"] for b in body["data"]["facets"]["type"]} == {"company", "news"}
    seen = [body["data"]["hits"][0]["id"]]
    while cursor := body["meta"].get("next_cursor"):
        body = (await client.get("/v1/search", params={"q": "apple", "limit": 1,
                                                       "cursor": cursor}, headers=pro)).json()
        seen += [h["id"] for h in body["data"]["hits"]]
    assert sorted(seen) == ["AAPL", "fresh", "old"]


async def test_free_tier_sees_only_delayed_news_headlines(world):
    client, pro = world
    free = await client.get("/v1/search/news", params={"q": "iphone chip"})  # anonymous: free
    full = await client.get("/v1/search/news", params={"q": "iphone chip"}, headers=pro)
    assert [h["id"] for h in free.json()["data"]["hits"]] == ["old"]
    assert sorted(h["id"] for h in full.json()["data"]["hits"]) == ["fresh", "old"]
    old_free = free.json()["data"]["hits"][0]
    assert old_free["sentiment"] is None and set(old_free["highlights"]) <= {"title"}
    old_full = next(h for h in full.json()["data"]["hits"] if h["id"] == "old")
    assert old_full["sentiment"] == "positive"
    universal = await client.get("/v1/search", params={"q": "iphone", "type": "all"})
    assert [h["id"] for h in universal.json()["data"]["hits"]] == ["old"]


async def test_suggest_tolerates_typos(world):
    client, _ = world
    r = await client.get("/v1/search/suggest", params={"q": "nvdia"})
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["ticker"] == "NVDA"
    assert (await client.get("/v1/search/suggest", params={"q": "appel"})).json()[
        "data"][0]["ticker"] == "AAPL"


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 5000}, {"type": "people"}, {"cursor": "not-a-cursor"},
    {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, {"from": "yesterday"},
])
async def test_bad_parameters_are_422_problems(world, params):
    client, _ = world
    assert_problem(await client.get("/v1/search", params={"q": "apple", **params}), 422)


@pytest.mark.parametrize("q", [
    '"', '""', "-", "OR", "AND NOT", "NEAR(a b)", "*", "^a", "col:foo", "ticker:", "a" * 5000,
    "\x00nvidia", "'; DROP TABLE search_documents; --", "💥🚀", "(((", "ticker:,,,", "-" * 300,
    "\\", "%_%", "苹果公司", "type:news", " ".join(["x OR"] * 50),
])
async def test_hostile_queries_are_answered_200_or_422(world, q):
    client, _ = world
    for path in ("/v1/search", "/v1/search/suggest", "/v1/search/company", "/v1/search/news"):
        r = await client.get(path, params={"q": q})
        assert r.status_code in (200, 422), (path, q, r.text)
        if r.status_code == 422:
            assert_problem(r, 422)
    assert (await client.get("/v1/search/company", params={"q": "apple"})).status_code == 200


async def test_an_index_in_a_database_of_its_own(tmp_path):
    own = tmp_path / "index.db"
    # No statements loaded: the financial profiles of a first load would join the universe.
    async with container_with(tmp_path, "memory", settings={
            "search": {"database_url": f"sqlite:///{own}", "engine": "database"},
            "analysis": {"preload": False}}) as (container, client):
        r = await client.get("/v1/search/company", params={"q": "nvidia"})
        assert [h["id"] for h in r.json()["data"]["hits"]][:1] == ["NVDA"]
        health = await container.registry.health["search"]()
        universe = len(container.port(MarketReader).universe)
        assert health == ("ok", {"documents": universe})
    # The storage database got the (migrated, empty) search tables; the documents went to `own`.
    for path, documents in ((tmp_path / "stockflow.db", 0), (own, universe)):
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM search_documents").fetchone()[0] == documents
