"""Ports of the news context: where articles are kept (plus the in-memory adapter), and what
later contexts may read of them: stored articles page by page (the search index is built from
them) and articles as the news API shows them to a tier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from stockflow.news.domain import Article, ArticleQuery, matches


@runtime_checkable
class ArticleStore(Protocol):
    """Articles by id, by exact-duplicate key, and listed newest first with a keyset cursor."""

    async def add(self, article: Article) -> bool:
        """Store; False (and nothing changed) when the id or canonical URL is already stored."""
    async def get(self, article_id: str) -> Article | None: ...
    async def find_exact(self, canonical_url: str, content_hash: str) -> Article | None:
        """An article with this canonical URL, else one with this content hash, else None."""
    async def list(self, query: ArticleQuery) -> list[Article]:
        """Newest first (published_at, then id, descending), at most query.limit."""
    async def delete_older_than(self, cutoff: datetime) -> int: ...
    async def page_by_id(self, after: str | None, limit: int) -> list[Article]:
        """Articles in id order after `after` (None: from the start), at most `limit`."""
    async def count(self) -> int: ...


@runtime_checkable
class ArticleReader(Protocol):
    """The stored articles for another context (search indexes them): one by id, or all in id
    order a page at a time, resumable from the last id seen. The news context publishes its
    ArticleStore under this port."""

    async def get(self, article_id: str) -> Article | None: ...
    async def page_by_id(self, after: str | None, limit: int) -> list[Article]: ...
    async def count(self) -> int: ...


@runtime_checkable
class ArticleViews(Protocol):
    """Articles in the news API's wire shape (`ArticleOut` as JSON) for a tier: the full view,
    or the free tier's headline view of articles older than its delay."""

    async def views(self, ids: Sequence[str], *, full: bool) -> list[dict[str, Any]]:
        """In the order of `ids`; those unknown or not yet visible to the tier are left out."""


class InMemoryArticleStore:
    """ArticleStore in a dict: tests and the embedded single-process shape."""

    def __init__(self) -> None:
        self._by_id: dict[str, Article] = {}
        self._by_url: dict[str, str] = {}
        self._by_hash: dict[str, str] = {}

    async def add(self, article: Article) -> bool:
        if article.id in self._by_id or article.canonical_url in self._by_url:
            return False
        self._by_id[article.id] = article
        self._by_url[article.canonical_url] = article.id
        self._by_hash.setdefault(article.content_hash, article.id)
        return True

    async def get(self, article_id: str) -> Article | None:
        return self._by_id.get(article_id)

    async def find_exact(self, canonical_url: str, content_hash: str) -> Article | None:
        found = self._by_url.get(canonical_url) or self._by_hash.get(content_hash)
        return self._by_id.get(found) if found else None

    async def list(self, query: ArticleQuery) -> list[Article]:
        rows = sorted((a for a in self._by_id.values() if matches(a, query)),
                      key=lambda a: (a.published_at, a.id), reverse=True)
        return rows[:query.limit]

    async def delete_older_than(self, cutoff: datetime) -> int:
        old = [a for a in self._by_id.values() if a.published_at < cutoff]
        for a in old:
            del self._by_id[a.id]
            self._by_url.pop(a.canonical_url, None)
            if self._by_hash.get(a.content_hash) == a.id:
                del self._by_hash[a.content_hash]
        return len(old)

    async def page_by_id(self, after: str | None, limit: int) -> list[Article]:
        ids = sorted(i for i in self._by_id if after is None or i > after)
        return [self._by_id[i] for i in ids[:limit]]

    async def count(self) -> int:
        return len(self._by_id)


@runtime_checkable
class NewsReader(Protocol):
    """A page of articles, newest first, as a tier sees them, and whether more follow."""

    async def page(self, query: ArticleQuery, *, full: bool) -> tuple[list[Any], bool]: ...
