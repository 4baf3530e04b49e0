"""The ingest use case end to end on the in-memory store: clusters, copies, analysis, rejects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.news.analysis import Analyser
from stockflow.news.catalog import build_catalog
from stockflow.news.domain import ArticleQuery, EventType, Language, RawArticle, SentimentLabel
from stockflow.news.entities import EntityExtractor
from stockflow.news.neardup import NearDuplicateIndex
from stockflow.news.ports import InMemoryArticleStore
from stockflow.news.sentiment.linear import LinearSentiment
from stockflow.news.sentiment.per_text import SentimentAnalyser
from stockflow.news.service import NewsService, Outcome
from stockflow.news.simulated import Move, SimulatedNews
from stockflow.news.text import UnsafeContent
from stockflow.testing.fakes import FakeClock

T0 = datetime(2026, 1, 6, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(listing.instrument for listing in default_universe())


@pytest.fixture(scope="module")
def analyser(catalog) -> Analyser:
    return Analyser(EntityExtractor(catalog),
                    SentimentAnalyser({Language.EN: LinearSentiment()}))


@pytest.fixture
def service(analyser) -> NewsService:
    return NewsService(InMemoryArticleStore(), analyser, NearDuplicateIndex(), FakeClock(T0))


def _raw(url: str, title: str, body: str, at: datetime = T0, **kw) -> RawArticle:
    return RawArticle(source=kw.pop("source", "Wire"), url=url, title=title, body=body,
                      published_at=at, **kw)


async def test_simulated_story_forms_one_cluster_per_language_group(service, catalog):
    story = SimulatedNews(7, catalog).move_story(Move("NVDA", T0.date(), 0.12), T0)
    results = [await service.ingest(a) for a in story]
    en = [r for r in results if r.article.language is Language.EN]
    assert [r.outcome for r in en] == [Outcome.NEW, Outcome.NEAR_DUPLICATE, Outcome.NEAR_DUPLICATE]
    assert len({r.article.story_id for r in en}) == 1
    first = en[0].article
    assert first.tickers[0].ticker == "NVDA"
    assert first.sentiment is not None and first.sentiment.label is SentimentLabel.BULLISH
    assert first.ticker_sentiment["NVDA"].score > 0
    assert EventType.EARNINGS in {e.type for e in first.events}
    zh = next(r.article for r in results if r.article.language is Language.ZH)
    assert zh.sentiment is None and "licence" in zh.sentiment_reason
    assert zh.tickers[0].ticker == "NVDA" and "股价" in zh.tokens


async def test_same_url_is_seen_and_same_words_elsewhere_is_a_copy(service):
    body = "Apple said on Monday that it will open a new campus in Austin employing 5,000 people."
    a = await service.ingest(_raw("https://a.test/x?utm_source=rss", "Apple plans campus", body))
    b = await service.ingest(_raw("https://a.test/x", "Apple plans campus", body))
    c = await service.ingest(_raw("https://b.test/y", "<b>Apple</b> plans campus", body))
    assert (a.outcome, b.outcome, c.outcome) == (Outcome.NEW, Outcome.SEEN, Outcome.COPY)
    assert b.article.id == a.article.id
    assert c.article.duplicate_of == a.article.id and c.article.story_id == a.article.story_id


async def test_per_ticker_sentiment_follows_its_sentence(service):
    result = await service.ingest(_raw(
        "https://c.test/1", "Chip stocks mixed",
        "Nvidia shares surged after earnings beat estimates. "
        "AMD shares plunged after the company cut its guidance."))
    per = result.article.ticker_sentiment
    assert per["NVDA"].label is SentimentLabel.BULLISH
    assert per["AMD"].label is SentimentLabel.BEARISH


async def test_hostile_items_raise_for_dead_lettering(service):
    with pytest.raises(UnsafeContent):
        await service.ingest(_raw("https://d.test/1", "<script>x</script>", "body"))
    with pytest.raises(UnsafeContent):
        await service.ingest(_raw("", "title", "body"))


async def test_listing_filters_and_cursor(service, catalog):
    sim = SimulatedNews(3, catalog)
    for article in sim.between(T0, T0 + timedelta(minutes=30)):
        await service.ingest(article)
    page1 = await service.store.list(ArticleQuery(limit=10))
    assert len(page1) == 10
    last = page1[-1]
    page2 = await service.store.list(ArticleQuery(limit=10, after=(last.published_at, last.id)))
    assert not {a.id for a in page1} & {a.id for a in page2}
    assert all(a.published_at <= last.published_at for a in page2)
    ja = await service.store.list(ArticleQuery(language=Language.JA, limit=100))
    assert ja and all(a.language is Language.JA for a in ja)


def test_analyse_text_is_the_same_pipeline(service):
    result = service.analyse_text("Tesla recalls vehicles, shares fall\nRegulators opened a probe.")
    assert result.language is Language.EN and result.tickers[0].ticker == "TSLA"
    assert result.sentiment.sentiment.label is SentimentLabel.BEARISH
    assert EventType.LEGAL_REGULATORY in {e.type for e in result.events}


async def test_ingest_many_sets_hostile_items_aside_and_goes_on(service):
    good = _raw("https://e.test/1", "Apple opens store", "Apple opened a store.")
    bad = _raw("https://e.test/2", "<script>x</script>", "body")
    done, dead = await service.ingest_many([bad, good])
    assert [r.article.url for r in done] == ["https://e.test/1"]
    assert dead[0].url == "https://e.test/2" and "empty title" in dead[0].reason


def test_settings_refuse_bands_that_do_not_divide():
    from pydantic import ValidationError

    from stockflow.news.config import NewsSettings

    assert NewsSettings().lsh_bands == 16
    with pytest.raises(ValidationError):
        NewsSettings(minhash_permutations=64, lsh_bands=10)


async def test_search_words_find_articles_in_every_language(service, catalog):
    story = SimulatedNews(7, catalog).move_story(Move("TSLA", T0.date(), -0.12), T0)
    for article in story:
        await service.ingest(article)
    en = await service.store.list(service.search_query("Tesla plunge"))
    assert en and all("plunge" in a.tokens for a in en)
    zh = await service.store.list(service.search_query("特斯拉 股价"))
    assert [a.language for a in zh] == [Language.ZH]
    assert await service.store.list(service.search_query("nonexistentword")) == []


async def test_confident_events_are_announced(service):
    result = await service.ingest(_raw("https://f.test/1", "Acme files for Chapter 11 bankruptcy",
                                       "The company filed for bankruptcy protection."))
    assert EventType.BANKRUPTCY_RESTRUCTURING in {e.type for e in result.announce}
    assert all(e.confidence >= 0.7 for e in result.announce)


async def test_a_restarted_index_is_refilled_from_the_stored_window(service, analyser):
    first = await service.ingest(_raw("https://a.test/1", "NVIDIA beats estimates on record data "
                                      "centre demand", "Revenue rose sharply in the quarter as "
                                      "demand for its chips stayed strong across every region."))
    restarted = NewsService(service.store, analyser, NearDuplicateIndex(), FakeClock(T0))
    assert await restarted.refill_index(page=1) == 1
    again = await restarted.ingest(_raw("https://b.test/2", "NVIDIA beats estimates on record "
                                        "data centre demand", "Revenue rose sharply in the "
                                        "quarter as demand for its chips stayed strong across "
                                        "every region. Wire reporting."))
    assert again.outcome is Outcome.NEAR_DUPLICATE and again.article.story_id == first.article.story_id


def test_a_news_vendor_without_a_key_is_a_settings_error(tmp_path):
    from stockflow.settings import Settings

    with pytest.raises(ValueError, match="STOCKFLOW_PROVIDERS__POLYGON__API_KEY"):
        Settings(data_dir=tmp_path, news={"vendors": ["polygon"]})
    keyed = Settings(data_dir=tmp_path, news={"vendors": ["finnhub"], "finnhub_api_key": "k"})
    assert keyed.news.vendors == ["finnhub"]
