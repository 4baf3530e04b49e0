"""News types: articles, sentiment, entities and events. Pure values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    ZH = "zh"
    JA = "ja"
    OTHER = "other"


class SentimentLabel(StrEnum):
    BEARISH = "bearish"
    NEUTRAL = "neutral"
    BULLISH = "bullish"


class EventType(StrEnum):
    EARNINGS = "earnings"
    GUIDANCE = "guidance"
    MERGER_ACQUISITION = "m_and_a"
    DIVIDEND_BUYBACK = "dividend_buyback"
    PRODUCT_LAUNCH = "product_launch"
    LEGAL_REGULATORY = "legal_regulatory"
    MANAGEMENT_CHANGE = "management_change"
    ANALYST_RATING = "analyst_rating"
    BANKRUPTCY_RESTRUCTURING = "bankruptcy_restructuring"
    PARTNERSHIP_CONTRACT = "partnership_contract"
    OFFERING_DILUTION = "offering_dilution"
    MACRO = "macro"
    FILING = "filing"  # an SEC filing whose form says nothing more specific


@dataclass(frozen=True, slots=True)
class Sentiment:
    """score in [-1, 1] (bearish → bullish), confidence in [0, 1], and which model said so."""

    score: float
    label: SentimentLabel
    confidence: float
    model: str
    version: str

    def __post_init__(self) -> None:
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"sentiment score {self.score} outside [-1, 1]")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"sentiment confidence {self.confidence} outside [0, 1]")


@dataclass(frozen=True, slots=True)
class SentimentOutcome:
    """Sentiment of a text, or None with the reason (e.g. no model for the language)."""

    sentiment: Sentiment | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class VendorSentiment:
    """A vendor's own sentiment, kept beside ours and never mixed with it."""

    source: str
    score: float | None
    label: str | None
    ticker: str | None = None


@dataclass(frozen=True, slots=True)
class TickerMention:
    ticker: str
    relevance: float            # 0..1: how much the article is about this ticker
    matched: tuple[str, ...]    # the surface forms found ("$NVDA", "Nvidia")


@dataclass(frozen=True, slots=True)
class NamedEntity:
    kind: str   # "person" | "product"
    text: str


@dataclass(frozen=True, slots=True)
class DetectedEvent:
    type: EventType
    confidence: float
    evidence: str  # the phrase that fired the rule


@dataclass(slots=True)
class RawArticle:
    """An article as a source delivered it, before cleaning and analysis."""

    source: str
    url: str
    title: str
    body: str
    published_at: datetime
    language: str | None = None
    tickers: tuple[str, ...] = ()          # tickers the source itself tagged
    vendor_sentiment: tuple[VendorSentiment, ...] = ()
    event_hint: EventType | None = None    # what the source says the article is about
    filing_form: str | None = None         # SEC form type ("8-K", "SC 13D") of a filing
    external_id: str | None = None


@dataclass(slots=True)
class Article:
    """A cleaned, analysed article as stored."""

    id: str
    source: str
    url: str
    canonical_url: str
    title: str
    body: str
    published_at: datetime
    language: Language
    content_hash: str
    story_id: str
    duplicate_of: str | None = None
    tickers: tuple[TickerMention, ...] = ()
    sentiment: Sentiment | None = None
    sentiment_reason: str | None = None
    ticker_sentiment: dict[str, Sentiment] = field(default_factory=dict)
    events: tuple[DetectedEvent, ...] = ()
    entities: tuple[NamedEntity, ...] = ()
    vendor_sentiment: tuple[VendorSentiment, ...] = ()
    filing_form: str | None = None
    tokens: tuple[str, ...] = ()  # search tokens (words, or zh/ja segments)


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    """Filters of a news listing; the cursor is the (published_at, id) of the last row seen."""

    ticker: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    language: Language | None = None
    sentiment: SentimentLabel | None = None
    event_type: EventType | None = None
    source: str | None = None
    story_id: str | None = None
    words: tuple[str, ...] = ()  # search tokens that must all occur (see language.search_tokens)
    limit: int = 50
    after: tuple[datetime, str] | None = None


def matches(article: Article, q: ArticleQuery) -> bool:
    """The listing filter as a pure predicate (the in-memory store; SQL mirrors it)."""
    checks = (
        q.ticker is None or any(m.ticker == q.ticker for m in article.tickers),
        q.since is None or article.published_at >= q.since,
        q.until is None or article.published_at < q.until,
        q.language is None or article.language is q.language,
        q.sentiment is None or (article.sentiment is not None
                                and article.sentiment.label is q.sentiment),
        q.event_type is None or any(e.type is q.event_type for e in article.events),
        q.source is None or article.source == q.source,
        q.story_id is None or article.story_id == q.story_id,
        not q.words or set(q.words) <= set(article.tokens),
        q.after is None or (article.published_at, article.id) < q.after,
    )
    return all(checks)
