"""What the search context offers and needs: the index port, and the sources a reindex reads.

`SearchIndex` is engine-neutral on purpose: requests carry the parsed query AST (never a query
string in some engine's language), filters are field -> values, facets and the histogram are
named, and cursors are opaque. SQLite FTS5 and PostgreSQL full text implement it today
(stockflow.adapters.search); an OpenSearch adapter would map the same AST onto a bool query,
the facets onto terms aggregations and the histogram onto a date_histogram.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from stockflow.search.domain import (
    DocType,
    SearchDocument,
    SearchPage,
    SearchRequest,
    SuggestEntry,
    Suggestion,
)


@runtime_checkable
class SearchIndex(Protocol):
    """The full-text index of companies, news and financial profiles.

    - `upsert` replaces documents by key (type:id); a document is searchable when it returns.
      A batch is written whole or not at all.
    - `search` ranks by relevance (higher score first; ties in a stable order of the engine's:
      by key on the SQL engines, by indexing order on Tantivy), or, for a query with no words,
      by publication time then boost. With `collapse`, one hit per story cluster.
      `total` and the facets count matching documents (before collapsing).
    - `cursor` from a page's `next_cursor` continues after that page's last hit; pages of one
      query never repeat or skip a hit while the index does not change.
    - `suggest` completes tickers and names by prefix and tolerates one or two typos, ranked by
      match quality then popularity.
    - No input, however malformed, makes search or suggest raise anything but InvalidCursor (a
      ValueError) for a cursor this index did not issue (another engine's included).
    """

    async def ensure_schema(self) -> None:
        """Create tables and indexes if missing; safe to repeat."""

    async def prepare(self) -> None:
        """At start, once the schema exists (migrated or ensured)."""

    async def upsert(self, documents: Sequence[SearchDocument]) -> int: ...
    async def upsert_symbols(self, entries: Sequence[SuggestEntry]) -> int: ...
    async def get(self, key: str) -> SearchDocument | None: ...
    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]:
        """Stored documents of a type in doc_id order after `after` (a reindex re-reads them)."""
    async def delete(self, keys: Sequence[str]) -> int: ...
    async def search(self, request: SearchRequest) -> SearchPage: ...
    async def suggest(self, text: str, *, limit: int = 10) -> list[Suggestion]: ...
    async def purge(self, *, doc_type: DocType | None = None,
                    published_before: datetime | None = None) -> int:
        """Delete documents of a type (all types if None), optionally only older ones."""
    async def count(self, doc_type: DocType | None = None) -> int: ...
    async def optimize(self) -> None:
        """After bulk writes (a reindex): merge index segments, refresh planner statistics."""


class DocumentSource(Protocol):
    """Where a reindex reads documents from: pages in a stable order by id, after `after`."""

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]: ...
    async def total(self, doc_type: DocType) -> int | None:
        """How many documents the type has, for progress; None when unknown."""


class ReindexCheckpoints(Protocol):
    """Where a reindex remembers how far it got, so a stopped run resumes."""

    async def load(self, doc_type: DocType) -> tuple[str | None, int]:
        """(last id written, documents written so far); (None, 0) when none is stored."""
    async def save(self, doc_type: DocType, last_id: str | None, done: int) -> None: ...
    async def clear(self, doc_type: DocType) -> None: ...


class PendingLabels(Protocol):
    """Sentiment labels whose article is not indexed yet (the bus orders no two topics)."""

    async def put(self, article_id: str, label: str, noted_at: datetime) -> None: ...
    async def take(self, article_id: str) -> str | None:
        """The label noted for the article, removed; None when there is none."""
    async def drop_before(self, cutoff: datetime) -> int: ...


class MemoryPendingLabels:
    """PendingLabels in a dict (tests, one process)."""

    def __init__(self) -> None:
        self._labels: dict[str, tuple[str, datetime]] = {}

    async def put(self, article_id: str, label: str, noted_at: datetime) -> None:
        self._labels[article_id] = (label, noted_at)

    async def take(self, article_id: str) -> str | None:
        found = self._labels.pop(article_id, None)
        return None if found is None else found[0]

    async def drop_before(self, cutoff: datetime) -> int:
        old = [k for k, (_, at) in self._labels.items() if at < cutoff]
        for k in old:
            del self._labels[k]
        return len(old)


class MemoryCheckpoints:
    """ReindexCheckpoints in a dict: one process, gone at exit (tests, the embedded default)."""

    def __init__(self) -> None:
        self._state: dict[DocType, tuple[str | None, int]] = {}

    async def load(self, doc_type: DocType) -> tuple[str | None, int]:
        return self._state.get(doc_type, (None, 0))

    async def save(self, doc_type: DocType, last_id: str | None, done: int) -> None:
        self._state[doc_type] = (last_id, done)

    async def clear(self, doc_type: DocType) -> None:
        self._state.pop(doc_type, None)


class MemorySource:
    """DocumentSource over a list held in memory (tests, and small generated universes)."""

    def __init__(self, documents: Sequence[SearchDocument]) -> None:
        self._by_type: dict[DocType, list[SearchDocument]] = {}
        for doc in sorted(documents, key=lambda d: d.id):
            self._by_type.setdefault(doc.type, []).append(doc)

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]:
        docs = self._by_type.get(doc_type, [])
        return [d for d in docs if after is None or d.id > after][:limit]

    async def total(self, doc_type: DocType) -> int | None:
        return len(self._by_type.get(doc_type, []))
