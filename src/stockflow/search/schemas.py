"""Wire models of the search context: the event payloads it consumes and the future API's bodies.

Event payloads are validated here, so a malformed event fails in one place with a clear error
(and is dead-lettered by the bus) instead of half-indexing a document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stockflow.search.documents import CompanyRecord, FinancialProfile, NewsArticle
from stockflow.search.domain import SearchHit, SearchPage, Suggestion

# Topics this context consumes (to move into the platform's event catalogue).
COMPANY_UPDATED = "company.updated"
ARTICLE_PUBLISHED = "news.article.published"
SENTIMENT_ANALYZED = "news.sentiment.analyzed"
FINANCIALS_UPDATED = "financials.updated"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CompanyUpdated(_Payload):
    ticker: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()
    exchange: str | None = None
    asset_class: str | None = "equity"
    sector: str | None = None
    industry: str | None = None
    country: str | None = None
    description: str = ""
    market_cap: float | None = Field(default=None, ge=0)
    popularity: float | None = Field(default=None, ge=0)

    def record(self) -> CompanyRecord:
        return CompanyRecord(**self.model_dump())


class ArticlePublished(_Payload):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    body: str = ""
    source: str | None = None
    lang: str | None = None
    tickers: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    sentiment: str | None = None
    event_types: tuple[str, ...] = ()
    published_at: datetime | None = None
    story_id: str | None = None
    url: str | None = None

    def record(self) -> NewsArticle:
        return NewsArticle(**self.model_dump())


class SentimentAnalyzed(_Payload):
    article_id: str = Field(min_length=1)
    label: str = Field(min_length=1)


class FinancialsUpdated(_Payload):
    ticker: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
    sector: str | None = None
    industry: str | None = None
    market_cap: float | None = None
    gross_margin: float | None = None
    operating_margin: float | None = None
    net_margin: float | None = None
    revenue_growth: float | None = None
    pe_ratio: float | None = None
    dividend_yield: float | None = None
    debt_to_equity: float | None = None

    def record(self) -> FinancialProfile:
        return FinancialProfile(**self.model_dump())


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

    @classmethod
    def of(cls, page: SearchPage) -> SearchOut:
        return cls(hits=[HitOut.of(h) for h in page.hits], total=page.total,
                   facets={k: [BucketOut(value=b.value, count=b.count) for b in v]
                           for k, v in page.facets.items()},
                   histogram=[BucketOut(value=b.value, count=b.count) for b in page.histogram])


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
