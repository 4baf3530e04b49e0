"""Fetch feeds over HTTP with conditional GET (ETag / Last-Modified) and per-feed back-off.

One `FeedPoller` serves all feeds through one pooled client; each feed keeps its own validators,
failure count and next due time, so a failing feed slows down alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from stockflow.adapters.news.feeds.parse import ParsedFeed, parse_feed
from stockflow.adapters.providers.http import redact_url
from stockflow.core.ports import Clock


@dataclass(slots=True)
class FeedState:
    """What a feed told us last time, and when it may be asked again."""

    url: str
    name: str | None = None
    language: str | None = None
    interval_s: float = 60.0
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_due: datetime | None = None
    last_error: str | None = None
    last_status: int | None = None
    items_seen: int = 0


@dataclass(slots=True)
class PollResult:
    state: FeedState
    feed: ParsedFeed | None = None   # None: not modified, not due, or failed
    not_modified: bool = False
    error: str | None = None
    skipped: bool = field(default=False)


class FeedError(Exception):
    pass


# Feed bytes → articles; the default reads any RSS/Atom feed, EDGAR has its own.
FeedParser = Callable[[bytes, FeedState, datetime], ParsedFeed]


def generic_parser(body: bytes, state: FeedState, fetched_at: datetime) -> ParsedFeed:
    return parse_feed(body, source=state.name, feed_url=state.url, fetched_at=fetched_at,
                      language=state.language)


class FeedPoller:
    def __init__(self, clock: Clock, *, timeout: float = 10.0, max_backoff_s: float = 3600.0,
                 max_bytes: int = 5_000_000, user_agent: str = "StockFlow",
                 transport: httpx.AsyncBaseTransport | None = None,
                 parser: FeedParser = generic_parser) -> None:
        self.clock = clock
        self.max_backoff_s = max_backoff_s
        self.max_bytes = max_bytes
        self.parser = parser
        self._timeout, self._transport, self._user_agent = timeout, transport, user_agent
        self._http: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:  # made on first poll, never before
            self._http = httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=True,
                max_redirects=3, headers={
                    "User-Agent": self._user_agent,
                    "Accept": "application/rss+xml, application/atom+xml, application/xml"})
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def backoff_s(self, state: FeedState) -> float:
        """interval × 2^failures, capped: 60 s, 120 s, 240 s … up to max_backoff_s."""
        return min(self.max_backoff_s, state.interval_s * 2 ** state.failures)

    async def poll(self, state: FeedState, *, force: bool = False) -> PollResult:
        now = self.clock.now()
        if not force and state.next_due is not None and now < state.next_due:
            return PollResult(state, skipped=True)
        try:
            result = await self._fetch(state, now)
        except (httpx.HTTPError, FeedError, ValueError) as e:
            state.failures += 1
            state.last_error = f"{type(e).__name__}: {e}"
            state.next_due = now + timedelta(seconds=self.backoff_s(state))
            return PollResult(state, error=state.last_error)
        state.failures, state.last_error = 0, None
        state.next_due = now + timedelta(seconds=state.interval_s)
        return result

    async def _fetch(self, state: FeedState, now: datetime) -> PollResult:
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        async with self.client.stream("GET", state.url, headers=headers) as resp:
            state.last_status = resp.status_code
            if resp.status_code == 304:
                return PollResult(state, not_modified=True)
            if resp.status_code >= 400:
                raise FeedError(f"HTTP {resp.status_code} from {redact_url(state.url)}")
            body = await self._read_capped(resp)
        state.etag = resp.headers.get("etag") or state.etag
        state.last_modified = resp.headers.get("last-modified") or state.last_modified
        feed = self.parser(body, state, now)
        state.items_seen += len(feed.articles)
        return PollResult(state, feed=feed)

    async def _read_capped(self, resp: httpx.Response) -> bytes:
        chunks, size = [], 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FeedError(f"feed larger than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
