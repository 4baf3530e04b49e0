"""News routes: listing, one article, its sentiment, analysis of the caller's own text, and the
operators' per-feed health (`/v1/news/search` is served by the search context, from its index). The free tier (READ_NEWS) sees headline, source, time and
tickers of articles older than the free delay; READ_NEWS_FULL sees everything, live."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.permissions import READ_NEWS, READ_NEWS_FULL, Guard
from stockflow.core.principal import principal_of
from stockflow.core.problems import forbidden, invalid, not_found
from stockflow.core.web import provide
from stockflow.news.domain import ArticleQuery, EventType, Language, SentimentLabel
from stockflow.news.ingest import NewsIngestor
from stockflow.news.queries import NewsQueries
from stockflow.news.schemas import (
    AnalyzeRequest,
    AnalyzeResult,
    ArticleOut,
    article_cursor,
    read_article_cursor,
)
from stockflow.news.service import NewsService
from stockflow.news.text import UnsafeContent

router = APIRouter(prefix="/v1/news", tags=["news"])
admin_router = APIRouter(prefix="/news", tags=["news"])
GUARDS = [Guard("/v1/news", READ_NEWS)]
Queries = Annotated[NewsQueries, Depends(provide(NewsQueries))]
News = Annotated[NewsService, Depends(provide(NewsService))]
Ingest = Annotated[NewsIngestor, Depends(provide(NewsIngestor))]


def _full(request: Request) -> bool:
    principal = principal_of(request.scope)
    return principal is not None and principal.can(READ_NEWS_FULL)


def _query(ticker: str | None, limit: int, cursor: str | None, since: datetime | None,
           until: datetime | None, lang: Language | None, sentiment: SentimentLabel | None,
           event_type: EventType | None, source: str | None) -> ArticleQuery:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise invalid(f"{name} needs a time zone, e.g. 2026-12-01T12:00:00Z")
    if since and until and since >= until:
        raise invalid("since must be before until")
    return ArticleQuery(ticker=ticker.upper() if ticker else None, since=since, until=until,
                        language=lang, sentiment=sentiment, event_type=event_type,
                        source=source, limit=limit,
                        after=read_article_cursor(cursor) if cursor else None)


async def _page(queries: NewsQueries, q: ArticleQuery, full: bool) -> Response:
    page, more = await queries.page(q, full=full)
    cursor = article_cursor(page[-1]) if more and page else None
    return json_response([a.model_dump(mode="json") for a in page], next_cursor=cursor,
                         has_more=more, view="full" if full else "headlines")


Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("", summary="News, newest first, with filters and a cursor")
async def list_news(
        request: Request, queries: Queries, ticker: str | None = None, limit: Limit = 20,
        cursor: str | None = None, since: datetime | None = None, until: datetime | None = None,
        lang: Language | None = None, sentiment: SentimentLabel | None = None,
        event_type: EventType | None = None, source: str | None = None) -> Response:
    q = _query(ticker, limit, cursor, since, until, lang, sentiment, event_type, source)
    return await _page(queries, q, _full(request))


@router.post("/analyze", summary="The news pipeline on your own text (up to 100 texts)")
async def analyze(body: AnalyzeRequest, news: News) -> Response:
    await news.ready()
    out = []
    for item in body.texts():
        try:
            out.append(AnalyzeResult.of(await news.analyse(item.text, item.lang)))
        except UnsafeContent as e:
            raise invalid(f"text refused: {e}") from None
    return json_response([r.model_dump(mode="json") for r in out])


@router.get("/{article_id}", summary="One article (the free tier: headline view, delayed)")
async def get_article(request: Request, article_id: str, queries: Queries) -> Response:
    found = await queries.article(article_id, full=_full(request))
    if found is None:
        raise not_found("article", article_id)
    return json_response(found.model_dump(mode="json"))


@router.get("/{article_id}/sentiment", summary="An article's sentiment, overall and per ticker")
async def get_sentiment(request: Request, article_id: str, queries: Queries) -> Response:
    full = _full(request)
    found = await queries.article(article_id, full=True)
    if found is None or (not full and await queries.article(article_id, full=False) is None):
        raise not_found("article", article_id)
    if not full:
        raise forbidden("article sentiment needs the pro or enterprise tier (read:news:full)")
    return json_response(_sentiment(found))


def _sentiment(a: ArticleOut) -> dict[str, object]:
    return {"id": a.id, "language": a.language,
            "sentiment": a.sentiment.model_dump() if a.sentiment else None,
            "reason": a.sentiment_reason,
            "tickers": [{"ticker": t.ticker, "relevance": t.relevance,
                         "sentiment": t.sentiment.model_dump() if t.sentiment else None}
                        for t in a.tickers],
            "vendor_sentiment": [v.model_dump() for v in a.vendor_sentiment]}


@admin_router.get("/feeds", summary="Health of each configured news feed and source")
async def feeds(ingest: Ingest) -> Response:
    rows = [asdict(s.health()) for s in ingest.sources if hasattr(s, "health")]
    counts = ingest.intake.counts
    last = counts.last_dead_letter
    return json_response({
        "feeds": [{**r, "next_due": r["next_due"].isoformat() if r["next_due"] else None}
                  for r in rows],
        "sources_failing": dict(ingest.errors), "published": counts.published,
        "seen": counts.seen, "dead_lettered": counts.dead_lettered,
        "last_dead_letter": asdict(last) if last else None})
