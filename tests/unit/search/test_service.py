"""SearchService and Reindexer on the embedded engine (a real SQLite FTS5 file per test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from stockflow.adapters.search.sqlite_fts import SqliteSearchIndex
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core.catalogue import COMPANY_UPDATED, FINANCIALS_UPDATED
from stockflow.core.catalogue import NEWS_PUBLISHED as ARTICLE_PUBLISHED
from stockflow.core.catalogue import NEWS_SENTIMENT as SENTIMENT_ANALYZED
from stockflow.core.problems import Problem
from stockflow.search.config import SearchSettings
from stockflow.search.documents import (
    CompanyRecord,
    FinancialProfile,
    company_document,
    financial_document,
)
from stockflow.search.domain import DocType
from stockflow.search.handlers import handlers
from stockflow.search.ports import MemoryCheckpoints, MemorySource
from stockflow.search.repository import SqlCheckpoints
from stockflow.search.service import Reindexer, SearchService
from stockflow.testing.fakes import FakeClock

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[SqlDatabase]:
    database = SqlDatabase(f"sqlite:///{tmp_path / 'search.db'}")
    await database.connect()
    yield database
    await database.close()


@pytest.fixture
async def service(db) -> SearchService:
    index = SqliteSearchIndex(db)
    await index.ensure_schema()
    return SearchService(index, SearchSettings(news_retention_days=30), FakeClock(NOW))


async def test_events_become_searchable_documents(service) -> None:
    handle = {spec.topic: spec.handler for spec in handlers(service)}
    await handle[COMPANY_UPDATED](COMPANY_UPDATED.event({
        "ticker": "nvda", "name": "NVIDIA Corporation", "aliases": ["Nvidia"],
        "sector": "Technology", "industry": "Semiconductors", "market_cap": 3e12}))
    await handle[ARTICLE_PUBLISHED](ARTICLE_PUBLISHED.event({
        "id": "a1", "title": "Nvidia unveils new GPU", "tickers": ["nvda"], "source": "Reuters",
        "published_at": (NOW - timedelta(days=1)).isoformat(), "story_id": "st1"}))
    await handle[SENTIMENT_ANALYZED](SENTIMENT_ANALYZED.event({
        "article_id": "a1", "label": "positive"}))
    await handle[SENTIMENT_ANALYZED](SENTIMENT_ANALYZED.event({
        "article_id": "unknown", "label": "negative"}))
    page = await service.search("gpu sentiment:positive source:reuters", types=["news"])
    assert [h.document.key for h in page.hits] == ["news:a1"]
    assert page.hits[0].document.tickers == ("NVDA",)
    assert [s.ticker for s in await service.suggest("nvdia")] == ["NVDA"]
    with pytest.raises(ValueError, match="company.updated payload is invalid"):
        await handle[COMPANY_UPDATED](COMPANY_UPDATED.event({"ticker": ""}))


async def test_high_margin_semiconductor_finds_the_profitable_chip_makers(service) -> None:
    profiles = [
        FinancialProfile("NVDA", "NVIDIA", "Technology", "Semiconductors", 3e12, 0.75, 0.6, 0.5,
                         1.2, 55, 0.0003, 0.2),
        FinancialProfile("TXN", "Texas Instruments", "Technology", "Semiconductors", 1.7e11,
                         0.6, 0.4, 0.3, -0.1, 30, 0.03, 0.8),
        FinancialProfile("WOLF", "Wolfspeed", "Technology", "Semiconductors", 1e9, 0.1, -0.3,
                         -0.4, -0.05, None, None, 3.0),
        FinancialProfile("KO", "Coca-Cola", "Consumer Defensive", "Beverages", 2.7e11, 0.6,
                         0.3, 0.23, 0.03, 25, 0.03, 1.6),
    ]
    for p in profiles:
        await service.on_financials_updated(FINANCIALS_UPDATED.event({
            k: getattr(p, k) for k in p.__dataclass_fields__}))
    hits = (await service.search("high margin semiconductor", types=["financials"])).hits
    # Wolfspeed matches the words too (its "high debt", its margins) but ranks below
    assert {h.document.id for h in hits[:2]} == {"NVDA", "TXN"}
    assert "KO" not in {h.document.id for h in hits}
    phrase = (await service.search('"high margin" semiconductor', types=["financials"])).hits
    assert {h.document.id for h in phrase} == {"NVDA", "TXN"}
    assert "high margin" in financial_document(profiles[0]).body


async def test_bad_requests_are_422_problems(service) -> None:
    for kwargs in ({"limit": 0}, {"limit": 10_000}, {"filters": {"colour": ["red"]}},
                   {"types": ["people"]}, {"cursor": "garbage"},
                   {"published_from": NOW, "published_to": NOW - timedelta(days=1)}):
        with pytest.raises(Problem) as caught:
            await service.search("nvidia", **kwargs)
        assert caught.value.status == 422
    assert (await service.search("x", types=["all", "news"])).total == 0


async def test_cleanup_drops_news_past_retention(service) -> None:
    for ident, age in (("old", 40), ("new", 2)):
        await service.on_article_published(ARTICLE_PUBLISHED.event({
            "id": ident, "title": f"{ident} story",
            "published_at": (NOW - timedelta(days=age)).isoformat()}))
    assert await service.cleanup() == 1
    assert await service.index.count(DocType.NEWS) == 1


class Interrupting(MemorySource):
    """A source that fails once after `fail_after` pages, as a crashed reindex would."""

    def __init__(self, documents, fail_after: int) -> None:
        super().__init__(documents)
        self.pages, self.fail_after = 0, fail_after

    async def page(self, doc_type, after, limit):
        self.pages += 1
        if self.pages == self.fail_after + 1:
            raise ConnectionError("source went away")
        return await super().page(doc_type, after, limit)


@pytest.mark.parametrize("store", ["memory", "sql"])
async def test_reindex_resumes_after_an_interruption(service, db, store) -> None:
    companies = [company_document(CompanyRecord(f"T{i:03d}", f"Company {i}", market_cap=1e9 + i))
                 for i in range(25)]
    source = Interrupting(companies, fail_after=2)
    checkpoints = MemoryCheckpoints() if store == "memory" else SqlCheckpoints(db)
    reindexer = Reindexer(service.index, source, checkpoints, batch_size=10)
    seen = []
    with pytest.raises(ConnectionError):
        await reindexer.run([DocType.COMPANY], progress=seen.append)
    assert [p.done for p in seen] == [10, 20] and await service.index.count() == 20
    assert await checkpoints.load(DocType.COMPANY) == ("T019", 20)
    seen.clear()
    assert await reindexer.run([DocType.COMPANY], progress=seen.append) == {DocType.COMPANY: 25}
    assert [(p.done, p.total, p.finished) for p in seen] == [(25, 25, False), (25, 25, True)]
    assert source.pages == 5  # 2 pages, the failure, then only the remaining page and the end
    assert await service.index.count(DocType.COMPANY) == 25
    assert next(s.ticker for s in await service.suggest("t024")) == "T024"
    assert await checkpoints.load(DocType.COMPANY) == (None, 0)


async def test_a_label_that_arrives_before_its_article_is_applied_when_it_is_indexed(db) -> None:
    from stockflow.search.repository import SqlPendingLabels

    index = SqliteSearchIndex(db)
    await index.ensure_schema()
    clock = FakeClock(NOW)
    labels = SqlPendingLabels(db)
    service = SearchService(index, SearchSettings(), clock, labels)
    await service.on_sentiment_analyzed(SENTIMENT_ANALYZED.event(
        {"article_id": "early", "label": "negative"}))
    await service.on_sentiment_analyzed(SENTIMENT_ANALYZED.event(
        {"article_id": "never", "label": "positive"}))
    await service.on_article_published(ARTICLE_PUBLISHED.event({
        "id": "early", "title": "Recall widens", "published_at": NOW.isoformat()}))
    assert (await index.get("news:early")).sentiment == "negative"
    assert await labels.take("early") is None  # used once, then gone
    clock.advance(8 * 86_400)
    assert await service.drop_stale_labels() == 1
    assert await labels.take("never") is None


async def test_a_broad_search_beyond_the_rank_window_says_its_counts_are_estimated(db) -> None:
    from stockflow.search.domain import SearchDocument

    index = SqliteSearchIndex(db)
    await index.ensure_schema()
    service = SearchService(index, SearchSettings(rank_window=100), FakeClock(NOW))
    await index.upsert([SearchDocument(type=DocType.NEWS, id=f"a{i:03d}", title=f"Chip note {i}",
                                       source="reuters", published_at=NOW - timedelta(hours=i))
                        for i in range(150)])
    broad = await service.search("chip")
    assert broad.estimated and len(broad.hits) == 20 and broad.total >= 100
    # the best of the 100 most recently indexed, scored as an exhaustive search scores them
    unbounded = SearchService(index, SearchSettings(rank_window=None), FakeClock(NOW))
    exact = await unbounded.search("chip", limit=100)
    assert not exact.estimated and exact.total == 150
    assert {h.document.id for h in broad.hits} <= {f"a{i:03d}" for i in range(50, 150)}
    narrow = await service.search("chip note 7 OR 17")
    assert not narrow.estimated
