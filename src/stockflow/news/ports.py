"""Ports of the news context: where articles are kept, plus the in-memory adapter."""

from __future__ import annotations

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


@runtime_checkable
class NewsReader(Protocol):
    """A page of articles, newest first, as a tier sees them, and whether more follow."""

    async def page(self, query: ArticleQuery, *, full: bool) -> tuple[list[Any], bool]: ...
