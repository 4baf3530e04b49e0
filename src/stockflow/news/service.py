"""News use cases: ingest a raw article (clean, de-duplicate, analyse, store) and analyse a text."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from stockflow.core.ports import Clock
from stockflow.news.analysis import Analyser, Analysis, LazyAnalyser
from stockflow.news.canonical import canonical_url, content_hash
from stockflow.news.config import NewsSettings
from stockflow.news.domain import Article, ArticleQuery, DetectedEvent, Language, RawArticle
from stockflow.news.language import detect_language, search_tokens
from stockflow.news.neardup import NearDuplicateIndex, signature
from stockflow.news.ports import ArticleStore
from stockflow.news.text import MAX_BODY_CHARS, UnsafeContent, clean_body, clean_title


class Outcome(StrEnum):
    NEW = "new"                   # first of its story
    NEAR_DUPLICATE = "near_duplicate"  # stored, joined an existing story
    COPY = "copy"                 # same words under another URL: stored, marked duplicate_of
    SEEN = "seen"                 # this URL was already stored: nothing written


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: Outcome
    article: Article
    announce: tuple[DetectedEvent, ...] = ()  # events confident enough for news.event.detected


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An item that was not stored and why; the ingestion job sends it to the dead-letter topic."""

    source: str
    url: str
    reason: str


def article_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


class NewsService:
    """Takes its ports in the constructor; one instance per process."""

    def __init__(self, store: ArticleStore, analyser: Analyser | LazyAnalyser, index: NearDuplicateIndex,
                 clock: Clock, settings: NewsSettings | None = None) -> None:
        self.store = store
        self.analyser = analyser
        self.index = index
        self.clock = clock
        self.settings = settings or NewsSettings()

    async def ready(self) -> None:
        """Build what analysis needs, if the analyser is built lazily (see LazyAnalyser)."""
        ready = getattr(self.analyser, "ready", None)
        if ready is not None:
            await ready()

    async def ingest(self, raw: RawArticle) -> IngestResult:
        """Raises UnsafeContent for an item that must be dead-lettered (with its reason)."""
        await self.ready()
        if not raw.url:
            raise UnsafeContent("article without a URL")
        title = clean_title(raw.title)
        body = clean_body(raw.body).text if raw.body else ""
        canonical = canonical_url(raw.url)
        digest = content_hash(title, body)
        existing = await self.store.find_exact(canonical, digest)
        if existing is not None and existing.canonical_url == canonical:
            return IngestResult(Outcome.SEEN, existing)
        ident = article_id(canonical)
        sig = signature(f"{title} {body}", self.index.num_perm)
        if existing is not None:
            outcome, story, first = Outcome.COPY, existing.story_id, existing.id
        else:
            match = self.index.query(sig, raw.published_at)
            outcome = Outcome.NEAR_DUPLICATE if match else Outcome.NEW
            story = match.story_id if match else ident
            first = match.item_id if match else None
        analysis = await self.off_loop(self.analyser.analyse, title, body,
                                       language=raw.language, tagged=raw.tickers,
                                       hint=raw.event_hint)
        article = _article(raw, ident, canonical, title, body, digest, story, first, analysis)
        if not await self.store.add(article):
            stored = await self.store.get(ident)
            return IngestResult(Outcome.SEEN, stored or article)
        self.index.add(ident, story, sig, raw.published_at)
        edge = self.settings.event_announce_confidence
        return IngestResult(outcome, article, tuple(e for e in article.events
                                                    if e.confidence >= edge))

    async def ingest_many(self, raws: Sequence[RawArticle],
                          ) -> tuple[list[IngestResult], list[DeadLetter]]:
        """Ingest each item on its own: a hostile or malformed one is set aside with its reason
        and the others still go in."""
        done: list[IngestResult] = []
        rejected: list[DeadLetter] = []
        for raw in raws:
            try:
                done.append(await self.ingest(raw))
            except (UnsafeContent, ValueError) as e:
                rejected.append(DeadLetter(raw.source, raw.url, str(e) or type(e).__name__))
        return done, rejected

    async def refill_index(self, page: int = 500) -> int:
        """Put the stored articles of the de-duplication window back into the (per-process)
        near-duplicate index, so a restart does not open new stories for old ones."""
        query = ArticleQuery(since=self.clock.now() - self.index.window, limit=page)
        recent: list[Article] = []
        while rows := await self.store.list(query):
            recent += rows
            query = replace(query, after=(rows[-1].published_at, rows[-1].id))
        for n, a in enumerate(reversed(recent)):  # oldest first, as the index evicts
            sig = signature(f"{a.title} {a.body}", self.index.num_perm)
            self.index.add(a.id, a.story_id, sig, a.published_at)
            if n % 100 == 99:
                await asyncio.sleep(0)  # let the handlers run meanwhile
        return len(recent)

    def search_query(self, text: str, **filters: object) -> ArticleQuery:
        """An ArticleQuery whose words are the search tokens of `text`, cut as articles are."""
        words = tuple(dict.fromkeys(search_tokens(text, detect_language(text))))
        return ArticleQuery(words=words, **filters)  # type: ignore[arg-type]

    async def off_loop(self, fn: Callable[..., Analysis], *args: Any, **kwargs: Any) -> Analysis:
        """Run an analysis; in a thread when the analyser's backend is blocking (the
        transformer: about a second of CPU an article), so quote streams and other handlers
        keep running. The shipped backends take milliseconds: a thread hop would cost more
        than it frees."""
        if getattr(self.analyser, "blocking", False):
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    async def analyse(self, text: str, language: str | None = None) -> Analysis:
        """`analyse_text`, off the event loop where the backend needs it (see off_loop)."""
        return await self.off_loop(self.analyse_text, text, language)

    def analyse_text(self, text: str, language: str | None = None) -> Analysis:
        """The pipeline on caller-supplied text; the first line is taken as the headline."""
        if len(text) > MAX_BODY_CHARS:
            raise UnsafeContent(f"text longer than {MAX_BODY_CHARS} characters")
        title, _, body = text.strip().partition("\n")
        return self.analyser.analyse(title, body, language=language)


def _article(raw: RawArticle, ident: str, canonical: str, title: str, body: str, digest: str,
             story: str, first: str | None, a: Analysis) -> Article:
    return Article(
        id=ident, source=raw.source, url=raw.url, canonical_url=canonical, title=title,
        body=body, published_at=raw.published_at, language=Language(a.language),
        content_hash=digest, story_id=story, duplicate_of=first, tickers=a.tickers,
        sentiment=a.sentiment.sentiment, sentiment_reason=a.sentiment.reason,
        ticker_sentiment=a.ticker_sentiment, events=a.events, entities=a.entities,
        vendor_sentiment=raw.vendor_sentiment, filing_form=raw.filing_form, tokens=a.tokens)
