"""The signal engine's handler table: closed bars become signals, analysed news becomes the
sentiment series, and accounts with watchlists become the pre-market scan's audience."""

from __future__ import annotations

from typing import Any

from stockflow.core.catalogue import (
    BAR_CLOSED,
    NEWS_SENTIMENT,
)
from stockflow.core.events import Event
from stockflow.core.module import BY_EVENT_ID, HandlerSpec
from stockflow.signals.live import LiveSignals
from stockflow.signals.ports import SentimentStore

GROUP = "signals"


def sentiment_rows(event: Event) -> list[dict[str, Any]]:
    """One row per ticker the article's sentiment names, known from the event's time."""
    d = event.data
    article = str(d.get("article_id") or event.id)
    rows = {t: v for t, v in (d.get("tickers") or {}).items() if v.get("score") is not None}
    if d.get("ticker") and d.get("score") is not None and d["ticker"] not in rows:
        rows[d["ticker"]] = {"score": d["score"], "confidence": d.get("confidence") or 0.0}
    return [{"article_id": article, "ticker": t, "at": event.time, "score": float(v["score"]),
             "confidence": float(v.get("confidence") or 0.0)} for t, v in rows.items()]


def handlers(live: LiveSignals, news: SentimentStore) -> list[HandlerSpec]:
    async def on_bar(event: Event) -> None:
        await live.on_bar(BAR_CLOSED.validate(event))

    async def on_sentiment(event: Event) -> None:
        await news.add(sentiment_rows(event))

    # Announcing is not idempotent by itself: the store guards it by event id, and the state
    # row (moving only forward in bar time) keeps a second delivery of one bar silent.
    return [HandlerSpec(BAR_CLOSED, GROUP, on_bar, idempotency=BY_EVENT_ID),
            HandlerSpec(NEWS_SENTIMENT, GROUP, on_sentiment,
                        idempotency="insert-or-ignore on (article id, ticker)")]
