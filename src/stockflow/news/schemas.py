"""Wire models of the news API (pydantic). Routes shape domain values into these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from stockflow.core.pagination import decode_cursor, encode_cursor
from stockflow.core.problems import invalid
from stockflow.news.analysis import Analysis
from stockflow.news.domain import Article, Sentiment, VendorSentiment

MAX_ANALYZE_TEXTS = 100
MAX_ANALYZE_CHARS = 20_000


class SentimentOut(BaseModel):
    score: float = Field(ge=-1, le=1)
    label: Literal["bearish", "neutral", "bullish"]
    confidence: float = Field(ge=0, le=1)
    model: str
    version: str

    @classmethod
    def of(cls, s: Sentiment | None) -> SentimentOut | None:
        return None if s is None else cls(score=s.score, label=s.label.value,
                                          confidence=s.confidence, model=s.model,
                                          version=s.version)


class VendorSentimentOut(BaseModel):
    source: str
    score: float | None
    label: str | None
    ticker: str | None

    @classmethod
    def of(cls, v: VendorSentiment) -> VendorSentimentOut:
        return cls(source=v.source, score=v.score, label=v.label, ticker=v.ticker)


class TickerOut(BaseModel):
    ticker: str
    relevance: float
    sentiment: SentimentOut | None = None


class EventOut(BaseModel):
    type: str
    confidence: float


class EntityOut(BaseModel):
    kind: str
    text: str


class ArticleOut(BaseModel):
    id: str
    source: str
    url: str
    title: str
    body: str | None = None  # absent for tiers that see headlines only
    published_at: datetime
    language: str
    story_id: str
    duplicate_of: str | None
    tickers: list[TickerOut]
    sentiment: SentimentOut | None = None
    sentiment_reason: str | None = None
    events: list[EventOut] = []
    entities: list[EntityOut] = []
    vendor_sentiment: list[VendorSentimentOut] = []
    filing_form: str | None = None

    @classmethod
    def of(cls, a: Article, *, full: bool = True) -> ArticleOut:
        tickers = [TickerOut(ticker=m.ticker, relevance=m.relevance,
                             sentiment=SentimentOut.of(a.ticker_sentiment.get(m.ticker))
                             if full else None) for m in a.tickers]
        base = {"id": a.id, "source": a.source, "url": a.url, "title": a.title,
                "published_at": a.published_at, "language": a.language.value,
                "story_id": a.story_id, "duplicate_of": a.duplicate_of, "tickers": tickers}
        if not full:  # the free tier: headline, source, time and tickers only
            return cls(**base)
        return cls(**base, body=a.body, sentiment=SentimentOut.of(a.sentiment),
                   sentiment_reason=a.sentiment_reason,
                   events=[EventOut(type=e.type.value, confidence=e.confidence) for e in a.events],
                   entities=[EntityOut(kind=e.kind, text=e.text) for e in a.entities],
                   vendor_sentiment=[VendorSentimentOut.of(v) for v in a.vendor_sentiment],
                   filing_form=a.filing_form)


    def limited(self) -> ArticleOut:
        """The free tier's view of a full article: headline, source, time and tickers."""
        return ArticleOut(
            id=self.id, source=self.source, url=self.url, title=self.title,
            published_at=self.published_at, language=self.language, story_id=self.story_id,
            duplicate_of=self.duplicate_of,
            tickers=[TickerOut(ticker=t.ticker, relevance=t.relevance) for t in self.tickers])


class ArticlePage(BaseModel):
    data: list[ArticleOut]
    next_cursor: str | None
    has_more: bool


def article_cursor(a: Article | ArticleOut) -> str:
    return encode_cursor({"t": a.published_at.isoformat(), "id": a.id})


def read_article_cursor(cursor: str) -> tuple[datetime, str]:
    value: dict[str, Any] = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(value["t"]), str(value["id"])
    except (KeyError, TypeError, ValueError):
        raise invalid("cursor is not one this API issued") from None


class AnalyzeItem(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_ANALYZE_CHARS)
    lang: Literal["en", "zh", "ja"] | None = None


class AnalyzeRequest(BaseModel):
    """`{"text": ..., "lang"?: ...}` for one text, or `{"items": [...]}` for up to 100."""

    text: str | None = Field(None, min_length=1, max_length=MAX_ANALYZE_CHARS)
    lang: Literal["en", "zh", "ja"] | None = None
    items: list[AnalyzeItem] | None = Field(None, max_length=MAX_ANALYZE_TEXTS)

    @field_validator("items")
    @classmethod
    def _not_empty(cls, v: list[AnalyzeItem] | None) -> list[AnalyzeItem] | None:
        if v is not None and not v:
            raise ValueError("items must hold at least one text")
        return v

    def texts(self) -> list[AnalyzeItem]:
        if (self.text is None) == (self.items is None):
            raise invalid("give either text or items, not both or neither")
        return self.items or [AnalyzeItem(text=self.text or "", lang=self.lang)]


class AnalyzeResult(BaseModel):
    language: str
    sentiment: SentimentOut | None
    sentiment_reason: str | None
    tickers: list[TickerOut]
    events: list[EventOut]
    entities: list[EntityOut]

    @classmethod
    def of(cls, a: Analysis) -> AnalyzeResult:
        return cls(
            language=a.language.value, sentiment=SentimentOut.of(a.sentiment.sentiment),
            sentiment_reason=a.sentiment.reason,
            tickers=[TickerOut(ticker=m.ticker, relevance=m.relevance,
                               sentiment=SentimentOut.of(a.ticker_sentiment.get(m.ticker)))
                     for m in a.tickers],
            events=[EventOut(type=e.type.value, confidence=e.confidence) for e in a.events],
            entities=[EntityOut(kind=e.kind, text=e.text) for e in a.entities])
