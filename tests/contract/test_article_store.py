"""ArticleStore contract: the same behaviour from memory, SQLite and PostgreSQL (schema per test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from stockflow.news.domain import (
    Article,
    ArticleQuery,
    DetectedEvent,
    EventType,
    Language,
    NamedEntity,
    Sentiment,
    SentimentLabel,
    TickerMention,
    VendorSentiment,
)
from stockflow.news.ports import ArticleStore, InMemoryArticleStore
from stockflow.news.repository import SqlArticleStore
from tests.contract.conftest import sql_database

T0 = datetime(2026, 1, 6, 13, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def store(request, tmp_path) -> AsyncIterator[ArticleStore]:
    if request.param == "memory":
        yield InMemoryArticleStore()
        return
    async for db in sql_database(request, tmp_path):
        yield SqlArticleStore(db)


def _article(n: int, *, at: datetime = T0, ticker: str = "NVDA", lang: Language = Language.EN,
             label: SentimentLabel | None = SentimentLabel.BULLISH, story: str | None = None,
             event: EventType = EventType.EARNINGS, source: str = "Wire") -> Article:
    s = (Sentiment(0.6 if label is SentimentLabel.BULLISH else -0.6, label, 0.8, "m", "1")
         if label else None)
    return Article(
        id=f"a{n:04d}", source=source, url=f"https://x.test/{n}?utm_source=y",
        canonical_url=f"https://x.test/{n}", title=f"title {n}", body=f"body {n}",
        published_at=at, language=lang, content_hash=f"h{n}", story_id=story or f"a{n:04d}",
        tickers=(TickerMention(ticker, 0.9, (f"${ticker}",)), TickerMention("AMD", 0.3, ("AMD",))),
        sentiment=s, sentiment_reason=None if s else "no model for zh",
        ticker_sentiment={ticker: s} if s else {},
        events=(DetectedEvent(event, 0.9, "beats"),),
        entities=(NamedEntity("person", "Jensen Huang"),),
        vendor_sentiment=(VendorSentiment("alphavantage", 0.3, "Somewhat-Bullish", ticker),),
        filing_form=None, tokens=("title", str(n)))


async def test_round_trip_keeps_every_field(store):
    a = _article(1)
    assert await store.add(a)
    got = await store.get(a.id)
    assert got == a


async def test_duplicate_id_or_url_is_refused_whole(store):
    assert await store.add(_article(1))
    assert not await store.add(_article(1))
    clash = _article(2)
    clash.canonical_url = "https://x.test/1"
    assert not await store.add(clash)
    assert await store.get("a0002") is None


async def test_find_exact_by_url_then_hash(store):
    await store.add(_article(1))
    assert (await store.find_exact("https://x.test/1", "nope")).id == "a0001"
    assert (await store.find_exact("https://other.test", "h1")).id == "a0001"
    assert await store.find_exact("https://other.test", "nope") is None


async def test_listing_filters_order_and_cursor(store):
    await store.add(_article(1, at=T0))
    await store.add(_article(2, at=T0 + timedelta(minutes=1), ticker="TSLA", lang=Language.ZH,
                             label=None, event=EventType.MACRO, source="Sim"))
    await store.add(_article(3, at=T0 + timedelta(minutes=1), label=SentimentLabel.BEARISH,
                             story="a0001"))
    await store.add(_article(4, at=T0 + timedelta(minutes=2)))
    ids = lambda rows: [r.id for r in rows]
    assert ids(await store.list(ArticleQuery())) == ["a0004", "a0003", "a0002", "a0001"]
    assert ids(await store.list(ArticleQuery(ticker="TSLA"))) == ["a0002"]
    assert ids(await store.list(ArticleQuery(ticker="AMD", limit=2))) == ["a0004", "a0003"]
    assert ids(await store.list(ArticleQuery(language=Language.ZH))) == ["a0002"]
    assert ids(await store.list(ArticleQuery(sentiment=SentimentLabel.BEARISH))) == ["a0003"]
    assert ids(await store.list(ArticleQuery(event_type=EventType.MACRO))) == ["a0002"]
    assert ids(await store.list(ArticleQuery(source="Sim"))) == ["a0002"]
    assert ids(await store.list(ArticleQuery(story_id="a0001"))) == ["a0003", "a0001"]
    window = ArticleQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2))
    assert ids(await store.list(window)) == ["a0003", "a0002"]
    # The cursor splits rows with the same time by id: no row is skipped or repeated.
    page = await store.list(ArticleQuery(after=(T0 + timedelta(minutes=1), "a0003")))
    assert ids(page) == ["a0002", "a0001"]


async def test_retention_deletes_old_articles_with_children(store):
    await store.add(_article(1, at=T0 - timedelta(days=400)))
    await store.add(_article(2))
    assert await store.delete_older_than(T0 - timedelta(days=365)) == 1
    assert await store.get("a0001") is None
    assert await store.add(_article(1))  # its tickers and events went with it
    assert [a.id for a in await store.list(ArticleQuery(ticker="NVDA"))] == ["a0002", "a0001"]


async def test_words_match_whole_tokens_only(store):
    a = _article(1)
    a.tokens = ("nvidia", "beats", "q_3")
    await store.add(a)
    assert [x.id for x in await store.list(ArticleQuery(words=("nvidia", "beats")))] == ["a0001"]
    assert await store.list(ArticleQuery(words=("nvid",))) == []      # not a prefix match
    assert await store.list(ArticleQuery(words=("q%3",))) == []       # LIKE wildcards escaped
    assert [x.id for x in await store.list(ArticleQuery(words=("q_3",)))] == ["a0001"]


async def test_pages_by_id_from_a_cursor_and_counts(store):
    for n in (5, 1, 4, 2, 3):
        assert await store.add(_article(n, at=T0 + timedelta(minutes=n)))
    first = await store.page_by_id(None, 2)
    assert [a.id for a in first] == ["a0001", "a0002"]
    assert first[0] == _article(1, at=T0 + timedelta(minutes=1))  # whole articles
    assert [a.id for a in await store.page_by_id("a0002", 10)] == ["a0003", "a0004", "a0005"]
    assert await store.page_by_id("a0005", 10) == []
    assert await store.count() == 5
