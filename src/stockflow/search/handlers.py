"""The search context's handler table: the topics that keep the index fresh, and why each
handler is safe to run twice."""

from __future__ import annotations

from stockflow.core.catalogue import (
    COMPANY_UPDATED,
    FINANCIALS_UPDATED,
    NEWS_PUBLISHED,
    NEWS_SENTIMENT,
)
from stockflow.core.module import HandlerSpec
from stockflow.search.service import SearchService

GROUP = "search"
# Every handler writes documents by key (type:id), replacing what is there; a redelivered event
# writes the same rows again, so no idempotency store is needed.
_UPSERT = "upsert by document key (type:id): a redelivery rewrites the same document"
_RELABEL = ("sets the event's label on the article by key, or notes it by article id until the "
            "article arrives (replacing): applying it twice leaves the same label")


def handlers(search: SearchService) -> list[HandlerSpec]:
    return [
        HandlerSpec(COMPANY_UPDATED, GROUP, search.on_company_updated, idempotency=_UPSERT),
        HandlerSpec(NEWS_PUBLISHED, GROUP, search.on_article_published, idempotency=_UPSERT),
        HandlerSpec(NEWS_SENTIMENT, GROUP, search.on_sentiment_analyzed, idempotency=_RELABEL),
        HandlerSpec(FINANCIALS_UPDATED, GROUP, search.on_financials_updated, idempotency=_UPSERT),
    ]
