"""The index fed from the contexts that own the documents: news articles through the news
context's ArticleReader (a real SQLite article store), financial profiles through the analysis
context's KeyFiguresReader (stored simulated statements), by events in the producers' own
payload shapes and by a resumable reindex."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from stockflow.adapters.providers.simulated.fundamentals import SimulatedFundamentals
from stockflow.adapters.search.sqlite_fts import SqliteSearchIndex
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.analysis.figures import StoredFigures
from stockflow.analysis.ports import InMemoryStatementStore
from stockflow.analysis.service import AnalysisService
from stockflow.core.catalogue import FINANCIALS_UPDATED, NEWS_PUBLISHED, NEWS_SENTIMENT
from stockflow.news.domain import (
    Article,
    DetectedEvent,
    EventType,
    Language,
    RawArticle,
    Sentiment,
    SentimentLabel,
    TickerMention,
)
from stockflow.news.messages import raw_to_data
from stockflow.news.repository import SqlArticleStore
from stockflow.news.tables import articles as article_table
from stockflow.search.config import SearchSettings
from stockflow.search.domain import DocType
from stockflow.search.ports import MemoryCheckpoints
from stockflow.search.service import Reindexer, SearchService
from stockflow.search.sources import ArticleSource, FiguresSource, SourcesByType
from stockflow.testing.fakes import FakeClock
from stockflow.testing.simulated_market import simulated_market_store

NOW = datetime(2026, 1, 2, 23, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[SqlDatabase]:
    database = SqlDatabase(f"sqlite:///{tmp_path / 'stockflow.db'}")
    await database.connect()
    async with database.engine.begin() as conn:
        await conn.run_sync(article_table.metadata.create_all)
    yield database
    await database.close()


@pytest.fixture
async def figures(tmp_path) -> AsyncIterator[StoredFigures]:
    db, market = await simulated_market_store(tmp_path / "market.db", NOW, ("AAPL", "NVDA"), 600)
    analysis = AnalysisService(InMemoryStatementStore(), SimulatedFundamentals(42), market,
                               FakeClock(NOW))
    for ticker in ("AAPL", "NVDA"):
        await analysis.sync(ticker)
    yield StoredFigures(analysis)
    await db.close()


def _article(n: int) -> Article:
    s = Sentiment(0.7, SentimentLabel.BULLISH, 0.9, "lexicon", "1")
    return Article(
        id=f"a{n:03d}", source="Wire", url=f"https://wire.test/{n}",
        canonical_url=f"https://wire.test/{n}", title=f"Nvidia story number {n}",
        body="Nvidia beat estimates.", published_at=NOW - timedelta(minutes=n),
        language=Language.EN, content_hash=f"h{n}", story_id="s1" if n < 3 else f"a{n:03d}",
        tickers=(TickerMention("NVDA", 0.9, ("Nvidia",)),), sentiment=s,
        events=(DetectedEvent(EventType.EARNINGS, 0.9, "beat estimates"),))


async def _service(db, store=None, figures=None) -> SearchService:
    index = SqliteSearchIndex(db)
    await index.ensure_schema()
    return SearchService(index, SearchSettings(), FakeClock(NOW), articles=store, figures=figures)


async def test_events_in_the_producers_shapes_index_what_the_owners_hold(db, figures) -> None:
    store = SqlArticleStore(db)
    service = await _service(db, store, figures)
    raw = RawArticle(source="Wire", url="https://wire.test/1", title="Nvidia story number 1",
                     body="Nvidia beat estimates.", published_at=NOW, language="en")
    # Published, not analysed yet: the raw article (as news publishes it) is searchable.
    await service.on_article_published(NEWS_PUBLISHED.event(raw_to_data(raw, "a001")))
    early = await service.index.get("news:a001")
    assert (early.lang, early.sentiment, early.story_id) == ("en", None, None)
    # Stored by news, then its sentiment event: the analysed article replaces it.
    await store.add(_article(1))
    await service.on_sentiment_analyzed(NEWS_SENTIMENT.event(
        {"article_id": "a001", "label": None, "language": "en"}))
    done = await service.index.get("news:a001")
    assert (done.sentiment, done.story_id, done.event_types, done.tickers) == (
        "bullish", "s1", ("earnings",), ("NVDA",))
    # A redelivered publication now indexes the stored article, not the raw one again.
    await service.on_article_published(NEWS_PUBLISHED.event(raw_to_data(raw, "a001")))
    assert await service.index.get("news:a001") == done
    # financials.updated names a ticker; the figures come from the analysis context.
    await service.on_financials_updated(FINANCIALS_UPDATED.event(
        {"ticker": "NVDA", "changed": 3, "period_ends": ["2025-10-26"]}))
    profile = await service.index.get("financials:NVDA")
    expected = await figures.key_figures("NVDA")
    assert f"gross margin {expected.gross_margin * 100:.0f}%" in profile.body
    await service.on_financials_updated(FINANCIALS_UPDATED.event({"ticker": "MSFT"}))
    assert await service.index.get("financials:MSFT") is None  # nothing stored: nothing indexed


class Interrupted(Exception):
    pass


async def test_reindex_reads_the_owners_and_resumes_from_its_cursor(db, figures) -> None:
    store = SqlArticleStore(db)
    for n in range(1, 8):
        await store.add(_article(n))
    service = await _service(db, store, figures)
    source = SourcesByType({DocType.NEWS: ArticleSource(store),
                            DocType.FINANCIALS: FiguresSource(figures)})
    checkpoints = MemoryCheckpoints()
    reindexer = Reindexer(service.index, source, checkpoints, batch_size=3)

    def stop_after_first_page(p) -> None:
        if p.done == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        await reindexer.run([DocType.NEWS], progress=stop_after_first_page)
    assert await checkpoints.load(DocType.NEWS) == ("a003", 3)
    assert await service.index.count(DocType.NEWS) == 3
    seen = []
    written = await reindexer.run([DocType.NEWS, DocType.FINANCIALS], progress=seen.append)
    assert written == {DocType.NEWS: 7, DocType.FINANCIALS: 2}
    assert [(p.doc_type, p.done, p.total) for p in seen if not p.finished] == [
        (DocType.NEWS, 6, 7), (DocType.NEWS, 7, 7), (DocType.FINANCIALS, 2, 2)]
    page = await service.search("nvidia sentiment:bullish event:earnings", types=["news"],
                                collapse=False)
    assert page.total == 7
    collapsed = await service.search("nvidia", types=["news"])
    assert len(collapsed.hits) == 6  # a001 and a002 are one story
    found = await service.search("key figures", types=["financials"])
    assert sorted(h.document.id for h in found.hits) == ["AAPL", "NVDA"]
