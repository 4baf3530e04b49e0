"""The news worker's parts on the real in-memory bus and pub/sub: intake publishes new items and
dead-letters hostile ones; the analysis handler stores, announces sentiment and confident events,
and streams; the simulated source follows the simulated market's jump days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from stockflow.adapters.bus.memory import MemoryBus
from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.adapters.pubsub.memory import MemoryPubSub
from stockflow.core.catalogue import NEWS_EVENT, NEWS_PUBLISHED, NEWS_SENTIMENT, NEWS_STREAM
from stockflow.core.metrics import Metrics
from stockflow.market.domain import Bar, Interval
from stockflow.news.analysis import LazyAnalyser
from stockflow.news.catalog import build_catalog
from stockflow.news.domain import RawArticle
from stockflow.news.handlers import ArticleAnalysis
from stockflow.news.ingest import Intake
from stockflow.news.neardup import NearDuplicateIndex
from stockflow.news.ports import InMemoryArticleStore
from stockflow.news.service import NewsService
from stockflow.news.simulated import SimulatedNews
from stockflow.news.sources import SimulatedSource
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import FakeClock

T0 = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
INSTRUMENTS = [listing.instrument for listing in default_universe()]


class Collected:
    def __init__(self, bus: MemoryBus, *topics: str) -> None:
        self.events: dict[str, list] = {t: [] for t in topics}
        for t in topics:
            bus.subscribe(t, "test", self._on(t))

    def _on(self, topic: str):
        async def handler(event) -> None:
            self.events[topic].append(event)
        return handler


@pytest.fixture
async def world():
    bus, pubsub, store = MemoryBus(metrics=Metrics()), MemoryPubSub(), InMemoryArticleStore()
    seen = Collected(bus, NEWS_PUBLISHED.name, NEWS_PUBLISHED.dlq, NEWS_SENTIMENT.name,
                     NEWS_EVENT.name)
    news = NewsService(store, LazyAnalyser(lambda: INSTRUMENTS, "linear"), NearDuplicateIndex(),
                       FakeClock(T0))
    intake = Intake(store, bus)
    await bus.start()
    yield bus, pubsub, store, seen, intake, ArticleAnalysis(news, bus, pubsub, intake)
    await bus.stop()


def _raw(n: int, title: str, body: str = "", **kw) -> RawArticle:
    return RawArticle(source="Wire", url=f"https://wire.test/{n}?utm_source=x", title=title,
                      body=body, published_at=T0, language="en", **kw)


async def test_intake_publishes_new_items_and_dead_letters_hostile_ones(world):
    _, _, _, seen, intake, _ = world
    assert await intake.submit([_raw(1, "NVIDIA beats estimates"), _raw(2, ""),
                                _raw(3, "x", "<i>a</i>" * 6000)]) == 1
    await eventually(lambda: len(seen.events[NEWS_PUBLISHED.dlq]) == 2)
    reasons = sorted(e.data["reason"] for e in seen.events[NEWS_PUBLISHED.dlq])
    assert "tags" in reasons[0] and "title" in reasons[1]
    [published] = seen.events[NEWS_PUBLISHED.name]
    assert published.data["url"].startswith("https://wire.test/1")
    assert published.key == published.data["article_id"]  # no ticker: keyed by the article


async def test_analysis_stores_announces_and_streams_once(world):
    _, pubsub, store, seen, intake, analysis = world
    subscription = pubsub.subscribe(NEWS_STREAM.name)
    await intake.submit([_raw(1, "NVIDIA beats estimates and raises guidance",
                              "NVIDIA reported record revenue.", tickers=("NVDA",))])
    await eventually(lambda: seen.events[NEWS_PUBLISHED.name])
    event = seen.events[NEWS_PUBLISHED.name][0]
    await analysis.on_published(event)
    await analysis.on_published(event)  # a redelivery: the store knows the URL, nothing more
    await eventually(lambda: seen.events[NEWS_SENTIMENT.name] and seen.events[NEWS_EVENT.name])
    [sentiment] = seen.events[NEWS_SENTIMENT.name]
    assert sentiment.data["label"] == "bullish" and sentiment.data["ticker"] == "NVDA"
    assert "earnings" in {e.data["event_type"] for e in seen.events[NEWS_EVENT.name]}
    assert all(e.data["confidence"] >= 0.7 for e in seen.events[NEWS_EVENT.name])
    _, message = await asyncio.wait_for(anext(subscription), 5)
    [item] = orjson.loads(message)
    assert item["title"].startswith("NVIDIA beats") and item["body"]
    assert analysis.stored == 1 and (await store.get(item["id"])) is not None
    await intake.submit([_raw(1, "NVIDIA beats estimates and raises guidance")])
    assert intake.counts.seen == 1  # the same URL is not published again
    await subscription.close()


async def test_a_malformed_payload_is_dead_lettered_not_retried(world):
    _, _, _, seen, _, analysis = world
    await analysis.on_published(NEWS_PUBLISHED.event({"source": "x", "url": "u"}))
    await eventually(lambda: seen.events[NEWS_PUBLISHED.dlq])
    assert "KeyError" in seen.events[NEWS_PUBLISHED.dlq][0].data["reason"]


class DailyBars:
    """A MarketReader over fixed daily closes: flat with one +12 % session."""

    def __init__(self, jump_day: datetime) -> None:
        self.universe = [i for i in INSTRUMENTS if i.ticker == "NVDA"]
        self.jump_day = jump_day

    async def bars(self, ticker, interval, start, end, limit, *, after=None) -> list[Bar]:
        assert interval is Interval.D1
        out, price = [], 100.0
        for k in range(120):
            day = self.jump_day - timedelta(days=100 - k)
            price *= 1.12 if day == self.jump_day else 1 + 0.004 * (-1) ** k
            out.append(Bar(ticker, interval, day, price, price, price, price, 1000))
        return [b for b in out if b.time <= end]


async def test_simulated_source_writes_every_minute_in_three_languages_and_the_jump_story():
    jump = datetime(2026, 1, 5, tzinfo=UTC)
    now = jump + timedelta(days=1, hours=14)
    catalog = build_catalog(INSTRUMENTS)
    source = SimulatedSource(lambda: SimulatedNews(7, catalog), DailyBars(jump), per_minute=2,
                             backfill=timedelta(hours=2), move_days=5)
    first = await source.fetch(now)
    background = [a for a in first if a.published_at >= now - timedelta(hours=2)]
    assert len(background) >= 2 * 119  # two a minute over the two hours before `now`
    assert {a.language for a in background} == {"en", "zh", "ja"}
    story = [a for a in first if a.published_at.date() == jump.date()]
    assert len(story) == 5 and {a.language for a in story} == {"en", "zh", "ja"}
    assert all(a.tickers == ("NVDA",) for a in story)
    later = await source.fetch(now + timedelta(minutes=3))
    assert 4 <= len(later) <= 8 and all(a.published_at >= now for a in later)  # told once
    assert not {a.url for a in later} & {a.url for a in first}
