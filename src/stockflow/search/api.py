"""Routes of the search context: universal and type-specific search, autocomplete.

The guards admit READ_QUOTES callers to /v1/search (companies and suggest) and READ_NEWS ones to
/v1/search/news. Finer rules read the principal here: news hits need READ_NEWS and, without
READ_NEWS_FULL, only articles older than the free delay appear, with headline fields only;
financial profiles need READ_FINANCIALS. An explicit type the caller may not read is a 403;
`all` quietly leaves such types out.

`/v1/news/search` (READ_NEWS) is served here too, from the index, in the news listing's shape:
the news context's ArticleViews port renders each hit's article for the caller's tier, and the
index adds its score and highlights to each, and the total and facets to `meta`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.permissions import (
    READ_FINANCIALS,
    READ_NEWS,
    READ_NEWS_FULL,
    READ_QUOTES,
    Guard,
)
from stockflow.core.principal import principal_of
from stockflow.core.problems import forbidden, invalid
from stockflow.core.web import provide
from stockflow.news.ports import ArticleViews
from stockflow.search import schemas
from stockflow.search.domain import DocType, SearchHit, SearchPage
from stockflow.search.query import parse
from stockflow.search.service import SearchService, parse_types

router = APIRouter(prefix="/v1/search", tags=["search"])
news_router = APIRouter(prefix="/v1/news", tags=["news"])
GUARDS = [Guard("/v1/search", READ_QUOTES), Guard("/v1/search/news", READ_NEWS)]
NEWS_GUARDS = [Guard("/v1/news/search", READ_NEWS)]
Search = Annotated[SearchService, Depends(provide(SearchService))]
Views = Annotated[ArticleViews, Depends(provide(ArticleViews))]
MAX_NEWS_QUERY_CHARS = 200
_NEEDS = {DocType.NEWS: READ_NEWS, DocType.FINANCIALS: READ_FINANCIALS}
_HEADLINE = ("title",)  # the highlight fields a caller without READ_NEWS_FULL sees on news
Filter = Annotated[str | None, Query(max_length=512, description="values, comma-separated")]


@dataclass
class SearchParams:
    """The query string every search route shares (the filters are the syntax's fields)."""

    q: Annotated[str, Query(max_length=2048, description="search box text")] = ""
    ticker: Filter = None
    sector: Filter = None
    industry: Filter = None
    exchange: Filter = None
    asset_class: Filter = None
    country: Filter = None
    source: Filter = None
    lang: Filter = None
    sentiment: Filter = None
    event_type: Filter = None
    published_from: Annotated[datetime | None, Query(alias="from")] = None
    published_to: Annotated[datetime | None, Query(alias="to")] = None
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None
    cursor: Annotated[str | None, Query(max_length=512)] = None

    def filters(self) -> dict[str, list[str]]:
        names = ("ticker", "sector", "industry", "exchange", "asset_class", "country", "source",
                 "lang", "sentiment", "event_type")
        return {n: v.split(",") for n in names if (v := getattr(self, n))}


Params = Annotated[SearchParams, Depends()]


def _allowed(request: Request, wanted: list[DocType] | None) -> tuple[list[DocType], bool]:
    """(types the caller may see, whether news comes in full); 403 for an explicit type it
    may not read."""
    principal = principal_of(request)

    def can(permission: str) -> bool:
        return principal is not None and principal.can(permission)

    readable = [t for t in DocType if t not in _NEEDS or can(_NEEDS[t])]
    if wanted is not None:
        refused = [t for t in wanted if t not in readable]
        if refused:
            raise forbidden(f"{refused[0].value} results need the {_NEEDS[refused[0]]} "
                            "permission")
        readable = wanted
    return readable, can(READ_NEWS_FULL)


def _headline(hit: SearchHit) -> SearchHit:
    if hit.document.type is not DocType.NEWS:
        return hit
    return replace(hit, document=replace(hit.document, body="", sentiment=None),
                   highlights={k: v for k, v in hit.highlights.items() if k in _HEADLINE})


def _news_before(svc: SearchService, full: bool) -> datetime | None:
    """The newest publication time of news a caller without READ_NEWS_FULL may see."""
    if full:
        return None
    return svc.clock.now() - timedelta(seconds=svc.settings.free_news_delay_seconds)


async def _run(request: Request, svc: SearchService, p: SearchParams,
               wanted: list[DocType] | None) -> Response:
    types, full = _allowed(request, wanted)
    page = await svc.search(p.q, types=[t.value for t in types], filters=p.filters(),
                            published_from=p.published_from, published_to=p.published_to,
                            limit=p.limit, cursor=p.cursor, news_before=_news_before(svc, full))
    if not full:
        page = replace(page, hits=[_headline(h) for h in page.hits])
    return _page(page)


def _page(page: SearchPage) -> Response:
    extra: dict[str, Any] = {"next_cursor": page.next_cursor} if page.next_cursor else {}
    return json_response(schemas.SearchOut.of(page).model_dump(mode="json"), **extra)


def _types(value: str) -> list[DocType] | None:
    names = parse_types(value.split(","))
    return [DocType(n) for n in names] if names else None


@router.get("", response_model=schemas.SearchEnvelope,
            summary="Search companies, news and financial profiles")
async def search(request: Request, svc: Search, p: Params,
                 type: Annotated[str, Query(max_length=64)] = "all") -> Response:
    return await _run(request, svc, p, _types(type))


@router.get("/company", response_model=schemas.SearchEnvelope, summary="Search companies")
async def search_companies(request: Request, svc: Search, p: Params) -> Response:
    return await _run(request, svc, p, [DocType.COMPANY])


@router.get("/news", response_model=schemas.SearchEnvelope, summary="Search news articles")
async def search_news(request: Request, svc: Search, p: Params) -> Response:
    return await _run(request, svc, p, [DocType.NEWS])


@router.get("/suggest", response_model=schemas.SuggestEnvelope,
            summary="Autocomplete tickers and company names (typo tolerant)")
async def suggest(svc: Search, q: Annotated[str, Query(max_length=256)] = "",
                  limit: Annotated[int | None, Query(ge=1, le=50)] = None) -> Response:
    found = await svc.suggest(q, limit=limit)
    return json_response([schemas.SuggestionOut.of(s).model_dump(mode="json") for s in found])


@news_router.get("/search", summary="News articles matching q, best first, one per story, with "
                 "highlights (the search syntax; any of the three languages)")
async def search_news_articles(
        request: Request, svc: Search, views: Views,
        q: Annotated[str, Query(min_length=1, max_length=MAX_NEWS_QUERY_CHARS)],
        ticker: str | None = None, limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: str | None = None) -> Response:
    parsed = parse(q)
    if not parsed.has_text and not parsed.filters:
        raise invalid("q holds no searchable word")
    _, full = _allowed(request, [DocType.NEWS])
    page = await svc.search(q, types=[DocType.NEWS.value],
                            filters={"ticker": [ticker]} if ticker else None, limit=limit,
                            cursor=cursor, news_before=_news_before(svc, full))
    hits = {h.document.id: h if full else _headline(h) for h in page.hits}
    # An indexed article the news store no longer holds (past its retention) is left out.
    articles = await views.views(list(hits), full=full)
    data = [{**a, "score": hits[a["id"]].score, "highlights": hits[a["id"]].highlights}
            for a in articles]
    out = schemas.SearchOut.of(replace(page, hits=[]))
    return json_response(data, next_cursor=page.next_cursor,
                         has_more=page.next_cursor is not None,
                         view="full" if full else "headlines", total=page.total,
                         estimated=page.estimated,
                         facets=out.model_dump(mode="json")["facets"])
