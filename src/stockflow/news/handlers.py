"""The news context's handler table: `news.article.published` → analysis and storage →
`news.sentiment.analyzed`, `news.event.detected` (confident events only) and the live stream."""

from __future__ import annotations

import orjson

from stockflow.core.catalogue import NEWS_EVENT, NEWS_PUBLISHED, NEWS_SENTIMENT, NEWS_STREAM
from stockflow.core.events import Event
from stockflow.core.logging import get_logger
from stockflow.core.module import BY_EVENT_ID, HandlerSpec
from stockflow.core.ports import EventBus, PubSub
from stockflow.news.ingest import Intake
from stockflow.news.messages import event_data, raw_from_data, sentiment_data
from stockflow.news.schemas import ArticleOut
from stockflow.news.service import DeadLetter, NewsService, Outcome
from stockflow.news.text import UnsafeContent

log = get_logger(__name__)
GROUP = "news-analysis"


class ArticleAnalysis:
    """Analyses and stores each published article, then says what it found."""

    def __init__(self, news: NewsService, bus: EventBus, pubsub: PubSub, intake: Intake) -> None:
        self.news = news
        self.bus = bus
        self.pubsub = pubsub
        self.intake = intake
        self.stored = 0

    async def on_published(self, event: Event) -> None:
        try:
            raw = raw_from_data(event.data)
            result = await self.news.ingest(raw)
        except (KeyError, TypeError, ValueError, UnsafeContent) as e:
            # Retrying cannot mend a malformed or hostile item: dead-letter it at once.
            await self.intake.dead_letter(DeadLetter(
                str(event.data.get("source")), str(event.data.get("url")),
                f"{type(e).__name__}: {e}"[:300]))
            return
        if result.outcome is Outcome.SEEN:
            return
        a = result.article
        self.stored += 1
        key = a.tickers[0].ticker if a.tickers else a.id
        out = [NEWS_SENTIMENT.event(sentiment_data(a), key=key)]
        out += [NEWS_EVENT.event(event_data(a, e), key=key) for e in result.announce]
        await self.bus.publish_many(NEWS_SENTIMENT.name, out[:1])
        if len(out) > 1:
            await self.bus.publish_many(NEWS_EVENT.name, out[1:])
        item = ArticleOut.of(a, full=True).model_dump(mode="json")
        await self.pubsub.publish(NEWS_STREAM.name, orjson.dumps([item]))

    def handlers(self) -> list[HandlerSpec]:
        # Analysis stores the article and announces it once: the idempotency store guards the
        # announcement against a redelivered event (the store alone would skip the write but
        # could not tell a redelivery from an event whose announcement was lost).
        return [HandlerSpec(NEWS_PUBLISHED, GROUP, self.on_published, idempotency=BY_EVENT_ID)]
