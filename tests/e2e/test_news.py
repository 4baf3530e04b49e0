"""The news context through the real app: simulated news and a locally served feed flow through
the worker, the bus and the analysis handler into the listing, with the tier rules applied."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from stockflow.news.ingest import NewsIngestor
from stockflow.testing.eventually import eventually
from tests.conftest import assert_problem
from tests.e2e.users_support import ADMIN_KEY, container_with, sign_up
from tests.providers.conftest import _server, vendor  # noqa: F401 - fixtures of the local server

NEWS = {"simulated_backfill_hours": 0.5, "loop_seconds": 0.2}
CONTROL = {"api_key": ADMIN_KEY}


def _rss(items: list[tuple[str, str, str]]) -> str:
    now = format_datetime(datetime.now(UTC))
    body = "".join(f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
                   f"<pubDate>{now}</pubDate></item>" for t, link, d in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Local wire</title><language>en</language>{body}</channel></rss>")


async def _listing(client, headers, **params) -> list[dict]:
    r = await client.get("/v1/news", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_simulated_news_reaches_each_tier_as_declared(tmp_path):
    async with container_with(tmp_path, "memory", {"news": NEWS, "control": CONTROL}) as (_, client):
        pro = (await sign_up(client, tier="pro")).headers
        free = (await sign_up(client)).headers
        # The worker analyses oldest first: wait until it reached articles the free tier may
        # not see yet (newer than 15 minutes) as well as older ones.
        full = await eventually(lambda: _both_sides(client, pro), timeout=90, interval=0.3,
                                message="simulated news on both sides of the free delay")
        edge = datetime.now(UTC) - timedelta(minutes=15)
        assert {a["language"] for a in full} >= {"en"}
        english = [a for a in full if a["language"] == "en"]
        assert english and all(a["sentiment"] is not None and a["body"] for a in english)
        headlines = await _listing(client, free, limit=100)
        assert headlines, "articles older than 15 minutes are visible to the free tier"
        assert all(datetime.fromisoformat(a["published_at"]) < edge for a in headlines)
        assert all(a["body"] is None and a["sentiment"] is None for a in headlines)
        young = full[0]
        assert datetime.fromisoformat(young["published_at"]) > edge + timedelta(seconds=30)
        r = await client.get(f"/v1/news/{young['id']}/sentiment", headers=pro)
        assert r.status_code == 200 and r.json()["data"]["id"] == young["id"]
        assert_problem(await client.get(f"/v1/news/{headlines[0]['id']}/sentiment",
                                        headers=free), 403)
        assert_problem(await client.get(f"/v1/news/{young['id']}", headers=free), 404)  # too new
        r = await client.get(f"/v1/news/{headlines[0]['id']}", headers=free)
        assert r.status_code == 200 and r.json()["data"]["body"] is None
        page = await client.get("/v1/news", params={"limit": 2}, headers=pro)
        nxt = await client.get("/v1/news", params={"limit": 2,
                                                   "cursor": page.json()["meta"]["next_cursor"]},
                               headers=pro)
        assert {a["id"] for a in page.json()["data"]}.isdisjoint(
            a["id"] for a in nxt.json()["data"])


async def _both_sides(client, headers) -> list[dict] | None:
    """The listing once it holds articles a minute past the free delay and a minute short of it."""
    found = await _listing(client, headers, limit=100)
    now = datetime.now(UTC)
    times = [datetime.fromisoformat(a["published_at"]) for a in found]
    old = any(t < now - timedelta(minutes=16) for t in times)
    young = any(t > now - timedelta(minutes=14) for t in times)
    return found if old and young else None


async def _count(client, headers, n: int) -> bool:
    return len(await _listing(client, headers, limit=100)) >= n


async def test_a_served_feed_is_polled_analysed_and_reported(tmp_path, vendor):  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    hostile = "<b>x</b>" * 6000  # over the tag limit: dead-lettered, the rest goes in
    vendor.route("/wire.xml", body=_rss([
        (f"NVIDIA beats estimates and raises guidance {tag}", f"https://wire.test/{tag}/1",
         "NVIDIA Corporation reported record revenue, beating estimates."),
        (f"Odd item {tag}", f"https://wire.test/{tag}/2", hostile.replace("<", "&lt;")
         .replace(">", "&gt;"))]), headers={"Content-Type": "application/rss+xml"})
    vendor.route("/edgar.xml", "feeds/sec_edgar_latest_filings_getcurrent_atom_trimmed.xml",
                 headers={"Content-Type": "application/atom+xml"})
    news = {"simulated": False, "loop_seconds": 0.2,
            "feeds": [{"url": f"{vendor.url}/wire.xml", "name": "Local wire",
                       "poll_interval_s": 5},
                      {"url": f"{vendor.url}/edgar.xml", "kind": "edgar"}]}
    async with container_with(tmp_path, "memory", {"news": news, "control": CONTROL}) as (
            container, client):
        pro = (await sign_up(client, tier="pro")).headers
        await eventually(lambda: _count(client, pro, 1), timeout=30, interval=0.2, message="feed item listed")
        [article] = await _listing(client, pro, ticker="NVDA")
        assert article["source"] == "Local wire" and article["sentiment"]["label"] == "bullish"
        assert "earnings" in {e["type"] for e in article["events"]}
        found = await client.get("/v1/news/search", params={"q": f"guidance {tag}"}, headers=pro)
        assert [a["id"] for a in found.json()["data"]] == [article["id"]]
        # Served from the search index: the article as listed, plus its score and highlights.
        [hit] = found.json()["data"]
        assert {k: v for k, v in hit.items() if k not in ("score", "highlights")} == article
        assert hit["score"] > 0 and "<mark>" in hit["highlights"]["title"]
        assert found.json()["meta"]["total"] == 1 and found.json()["meta"]["has_more"] is False
        ingestor = container.port(NewsIngestor)
        await eventually(lambda: ingestor.intake.counts.dead_lettered >= 1, timeout=10,
                         message="hostile item dead-lettered")
        r = await client.get("/api/admin/news/feeds", headers={"X-API-Key": ADMIN_KEY})
        assert r.status_code == 200, r.text
        feeds = r.json()["data"]["feeds"]
        assert [(f["name"], f["state"], f["last_status"]) for f in feeds] == [
            ("Local wire", "ok", 200), ("127.0.0.1", "ok", 200)]
        assert "tags" in r.json()["data"]["last_dead_letter"]["reason"]
        filings = await eventually(lambda: _filings(client, pro, 5), timeout=30, interval=0.2,
                                   message="EDGAR filings listed")
        assert all(a["filing_form"] for a in filings)


async def _filings(client, headers, n: int) -> list[dict] | None:
    found = await _listing(client, headers, source="SEC EDGAR", limit=100)
    return found if len(found) >= n else None


async def test_analyze_checks_its_limits(tmp_path):
    async with container_with(tmp_path, "memory", {"news": {"simulated": False},
                                                   "control": CONTROL}) as (_, client):
        pro = (await sign_up(client, tier="pro")).headers
        r = await client.post("/v1/news/analyze", headers=pro,
                              json={"text": "Apple shares jump after record iPhone sales"})
        assert r.status_code == 200, r.text
        [result] = r.json()["data"]
        assert result["sentiment"]["label"] == "bullish" and result["tickers"][0]["ticker"] == "AAPL"
        assert_problem(await client.post("/v1/news/analyze", headers=pro,
                                         json={"items": [{"text": "x"}] * 101}), 422)
        assert_problem(await client.post("/v1/news/analyze", headers=pro,
                                         json={"text": "y" * 20_001}), 422)
        assert_problem(await client.post("/v1/news/analyze", headers=pro, json={}), 422)
        assert_problem(await client.get("/v1/news", params={"since": "2026-01-01T00:00:00"},
                                        headers=pro), 422)
        assert_problem(await client.get("/v1/news", params={"cursor": "nope"}, headers=pro), 422)
