"""The search context's types: indexed documents, requests, hits, facets and suggestions.

Pure values only; the engines (SQLite FTS5, PostgreSQL full text, later OpenSearch) live behind
the `SearchIndex` port in ports.py and speak these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

# The filter vocabulary is the query syntax's; re-exported so callers need one import.
from stockflow.search.query import (  # noqa: F401
    COLUMN_FILTERS,
    FILTER_FIELDS,
    TAG_FILTERS,
    ParsedQuery,
)


class InvalidCursor(ValueError):
    """A cursor that this index did not issue (or that belongs to another query's order)."""


class DocType(StrEnum):
    COMPANY = "company"
    NEWS = "news"
    FINANCIALS = "financials"


# Facets the search answers with (counts of matching documents, as OpenSearch aggregations count).
COLUMN_FACETS = ("type", "sector", "exchange", "source", "lang", "sentiment")
TAG_FACETS = ("event_type",)

HistogramInterval = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One indexed document. `key` (type:id) is unique across the index.

    `keywords` (tickers, aliases, entities, former names) match with the title's weight;
    `boost` in [0, 1] (market cap / popularity) lifts a document among equally relevant ones.
    """

    type: DocType
    id: str
    title: str
    body: str = ""
    keywords: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    sector: str | None = None
    industry: str | None = None
    exchange: str | None = None
    asset_class: str | None = None
    country: str | None = None
    source: str | None = None
    lang: str | None = None
    sentiment: str | None = None
    published_at: datetime | None = None
    story_id: str | None = None
    url: str | None = None
    boost: float = 0.0

    @property
    def key(self) -> str:
        return doc_key(self.type, self.id)

    def tags(self) -> list[tuple[str, str]]:
        """(field, value) pairs of the multi-valued filters, normalised as filters compare them."""
        pairs = {("ticker", normalise_filter("ticker", t)) for t in self.tickers if t.strip()}
        pairs |= {("event_type", normalise_filter("event_type", e))
                  for e in self.event_types if e.strip()}
        return sorted(pairs)


def doc_key(doc_type: DocType | str, doc_id: str) -> str:
    return f"{DocType(doc_type).value}:{doc_id}"


def normalise_filter(field_name: str, value: str) -> str:
    """Tickers compare upper-case, every other filter value lower-case."""
    value = value.strip()
    return value.upper() if field_name == "ticker" else value.lower()


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A parsed query plus the caller's filters. Filters: field -> accepted values (any of them);
    fields AND together. `collapse` keeps the best article of each story cluster."""

    query: ParsedQuery
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    published_from: datetime | None = None
    published_to: datetime | None = None
    limit: int = 20
    cursor: str | None = None
    facets: bool = True
    histogram: HistogramInterval | None = "day"
    collapse: bool = True
    # A tier embargo: news published at or after this instant (or undated) is left out.
    news_before: datetime | None = None
    # Rank among at most this many matches, the most recently indexed first (None: all of them).
    # A broad query over a large index then costs the window, not the matches; its total,
    # facets and histogram are estimated from the window and the page says so.
    window: int | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    document: SearchDocument
    score: float
    # field -> HTML-escaped fragment with <mark>…</mark> around the matched words
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FacetBucket:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[SearchHit]
    total: int  # matching documents, before story collapsing
    facets: dict[str, list[FacetBucket]] = field(default_factory=dict)
    histogram: list[FacetBucket] = field(default_factory=list)  # value: ISO date of bucket start
    next_cursor: str | None = None
    # True when more documents matched than the request's window: hits are the best of the
    # window, and total, facets and histogram are extrapolated from it (not exact counts).
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class SuggestEntry:
    """A symbol the autocomplete knows: one per company document."""

    key: str
    ticker: str
    name: str
    aliases: tuple[str, ...] = ()
    exchange: str | None = None
    asset_class: str | None = None
    popularity: float = 0.0  # market cap or another popularity signal; ranks equal matches


@dataclass(frozen=True, slots=True)
class Suggestion:
    ticker: str
    name: str
    key: str
    score: float  # match quality in [0, 1]
    matched: str  # what matched: ticker, name or alias
    exchange: str | None = None
    asset_class: str | None = None
