"""Wire models of the search API (they make the OpenAPI description).

Event payloads validate straight into the records of documents.py (their Field rules).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from stockflow.search.domain import SearchHit, SearchPage, Suggestion


class BucketOut(BaseModel):
    value: str
    count: int


class HitOut(BaseModel):
    type: Literal["company", "news", "financials"]
    id: str
    title: str
    score: float
    highlights: dict[str, str]
    tickers: list[str]
    source: str | None
    lang: str | None
    sentiment: str | None
    sector: str | None
    exchange: str | None
    published_at: datetime | None
    url: str | None

    @classmethod
    def of(cls, hit: SearchHit) -> HitOut:
        d = hit.document
        return cls(type=d.type.value, id=d.id, title=d.title, score=hit.score,
                   highlights=hit.highlights, tickers=list(d.tickers), source=d.source,
                   lang=d.lang, sentiment=d.sentiment, sector=d.sector, exchange=d.exchange,
                   published_at=d.published_at, url=d.url)


class SearchOut(BaseModel):
    """`data` of GET /v1/search; the cursor goes to meta.next_cursor."""

    hits: list[HitOut]
    total: int
    facets: dict[str, list[BucketOut]]
    histogram: list[BucketOut]
    # More matched than the ranking window: hits are the best of the most recent matches and
    # total, facets and histogram are estimates (Algolia's exhaustive* flags, inverted).
    estimated: bool = False

    @classmethod
    def of(cls, page: SearchPage) -> SearchOut:
        return cls(hits=[HitOut.of(h) for h in page.hits], total=page.total,
                   facets={k: [BucketOut(value=b.value, count=b.count) for b in v]
                           for k, v in page.facets.items()},
                   histogram=[BucketOut(value=b.value, count=b.count) for b in page.histogram],
                   estimated=page.estimated)


class SuggestionOut(BaseModel):
    ticker: str
    name: str
    score: float
    matched: str
    exchange: str | None
    asset_class: str | None

    @classmethod
    def of(cls, s: Suggestion) -> SuggestionOut:
        return cls(ticker=s.ticker, name=s.name, score=s.score, matched=s.matched,
                   exchange=s.exchange, asset_class=s.asset_class)


class SearchEnvelope(BaseModel):
    data: SearchOut
    meta: dict[str, object]


class SuggestEnvelope(BaseModel):
    data: list[SuggestionOut]
    meta: dict[str, object]
