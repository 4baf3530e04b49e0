"""The read side of the news context: listings, one article, search, with the tier rule (the
free tier sees headlines of articles older than a delay) and a recent-articles cache by id
(stored articles do not change, so a cached one is never stale; the TTL bounds memory)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from stockflow.core.ports import Cache, Clock
from stockflow.news.domain import ArticleQuery
from stockflow.news.ports import ArticleStore
from stockflow.news.schemas import ArticleOut

CACHE_PREFIX = "news:article:"


class NewsQueries:
    def __init__(self, store: ArticleStore, cache: Cache, clock: Clock, *,
                 free_delay_seconds: float, cache_seconds: float) -> None:
        self.store = store
        self.cache = cache
        self.clock = clock
        self.free_delay = timedelta(seconds=free_delay_seconds)
        self.cache_seconds = cache_seconds

    def visible_until(self, full: bool) -> datetime | None:
        """The newest publication time a caller may see: now, or now minus the free delay."""
        return None if full else self.clock.now() - self.free_delay

    async def page(self, query: ArticleQuery, *, full: bool) -> tuple[list[ArticleOut], bool]:
        """One page (newest first) and whether more follow."""
        edge = self.visible_until(full)
        if edge is not None and (query.until is None or query.until > edge):
            query = replace(query, until=edge)
        rows = await self.store.list(replace(query, limit=query.limit + 1))
        outs = [ArticleOut.of(a, full=full) for a in rows[:query.limit]]
        return outs, len(rows) > query.limit

    async def article(self, article_id: str, *, full: bool) -> ArticleOut | None:
        """The article, or None when it is unknown or not yet visible to this caller."""
        out = await self._cached(article_id)
        if out is None:
            return None
        edge = self.visible_until(full)
        if edge is not None and out.published_at >= edge:
            return None
        return out if full else out.limited()

    async def views(self, ids: Sequence[str], *, full: bool) -> list[dict[str, Any]]:
        """The ArticleViews port: the search context's /v1/news/search answers with these."""
        out = []
        for ident in ids:
            found = await self.article(ident, full=full)
            if found is not None:
                out.append(found.model_dump(mode="json"))
        return out

    async def _cached(self, article_id: str) -> ArticleOut | None:
        key = CACHE_PREFIX + article_id
        hit = await self.cache.get(key)
        if hit is not None:
            return ArticleOut.model_validate_json(hit)
        found = await self.store.get(article_id)
        if found is None:
            return None
        out = ArticleOut.of(found, full=True)
        if self.cache_seconds:
            await self.cache.set(key, out.model_dump_json().encode(), ttl=self.cache_seconds)
        return out
