"""Where articles come from, and how they enter the bus: each source says when it is due and
what it has; `Intake` cleans each item, skips URLs already stored, publishes the rest as
`news.article.published` and dead-letters hostile items with their reason. Analysis happens in
the handler of that topic (handlers.py), so it scales with the bus's consumer groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from stockflow.core.catalogue import NEWS_PUBLISHED
from stockflow.core.events import make_event
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock, EventBus
from stockflow.news.canonical import canonical_url
from stockflow.news.domain import RawArticle
from stockflow.news.messages import raw_to_data
from stockflow.news.ports import ArticleStore
from stockflow.news.service import DeadLetter, article_id
from stockflow.news.text import UnsafeContent, clean_body, clean_title

log = get_logger(__name__)
DEAD_LETTER = "bus.dead_letter"  # the shape every bus adapter gives its dead letters


class Source(Protocol):
    name: str

    def due(self, now: datetime) -> bool: ...
    async def fetch(self, now: datetime) -> Sequence[RawArticle]: ...


@dataclass
class IntakeCounts:
    published: int = 0
    seen: int = 0
    dead_lettered: int = 0
    last_dead_letter: DeadLetter | None = None
    by_source: dict[str, int] = field(default_factory=dict)


class Intake:
    def __init__(self, store: ArticleStore, bus: EventBus) -> None:
        self.store = store
        self.bus = bus
        self.counts = IntakeCounts()

    async def submit(self, raws: Sequence[RawArticle]) -> int:
        """Publish every new, safe item; returns how many were published."""
        events = []
        for raw in raws:
            try:
                clean = _cleaned(raw)
            except (UnsafeContent, ValueError) as e:
                await self.dead_letter(DeadLetter(raw.source, raw.url, str(e) or type(e).__name__))
                continue
            canonical = canonical_url(clean.url)
            if await self.store.find_exact(canonical, "") is not None:
                self.counts.seen += 1
                continue
            ident = article_id(canonical)
            events.append(NEWS_PUBLISHED.event(raw_to_data(clean, ident),
                                               key=clean.tickers[0] if clean.tickers else ident))
            self.counts.by_source[raw.source] = self.counts.by_source.get(raw.source, 0) + 1
        if events:
            await self.bus.publish_many(NEWS_PUBLISHED.name, events)
            self.counts.published += len(events)
        return len(events)

    async def dead_letter(self, letter: DeadLetter) -> None:
        """To the topic's dead-letter queue in the bus's own dead-letter shape, with the reason."""
        self.counts.dead_lettered += 1
        self.counts.last_dead_letter = letter
        log.warning("news item dead-lettered", source=letter.source, reason=letter.reason)
        await self.bus.publish(NEWS_PUBLISHED.dlq, make_event(DEAD_LETTER, {
            "topic": NEWS_PUBLISHED.name, "group": "news-intake", "reason": letter.reason,
            "attempts": 0, "raw": f"{letter.source} {letter.url}"[:2000]}))


def _cleaned(raw: RawArticle) -> RawArticle:
    """The item with safe title and plain-text body; raises UnsafeContent for a hostile one."""
    if not raw.url:
        raise UnsafeContent("article without a URL")
    canonical_url(raw.url)  # raises ValueError on a URL that is not one
    title = clean_title(raw.title)
    body = clean_body(raw.body).text if raw.body else ""
    return RawArticle(source=raw.source, url=raw.url, title=title, body=body,
                      published_at=raw.published_at, language=raw.language, tickers=raw.tickers,
                      vendor_sentiment=raw.vendor_sentiment, event_hint=raw.event_hint,
                      filing_form=raw.filing_form, external_id=raw.external_id)


class NewsIngestor:
    """The news worker's loop body: ask every due source, submit what it has. One failing
    source is logged and counted; the others go on."""

    name = "news-ingest"

    def __init__(self, sources: Sequence[Source], intake: Intake, clock: Clock) -> None:
        self.sources = list(sources)
        self.intake = intake
        self.clock = clock
        self.errors: dict[str, str] = {}

    async def run_once(self) -> int:
        now = self.clock.now()
        published = 0
        for source in self.sources:
            if not source.due(now):
                continue
            try:
                raws = await source.fetch(now)
            except Exception as e:  # noqa: BLE001 - one source's failure must not stop the rest
                self.errors[source.name] = f"{type(e).__name__}: {e}"[:300]
                log.warning("news source failed", source=source.name, error=str(e)[:300])
                continue
            self.errors.pop(source.name, None)
            published += await self.intake.submit(raws)
        return published


class Every:
    """Due every `seconds`, first at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.next: datetime | None = None

    def due(self, now: datetime) -> bool:
        if self.next is not None and now < self.next:
            return False
        self.next = now + timedelta(seconds=self.seconds)
        return True
