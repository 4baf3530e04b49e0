"""Search use cases: query the index, keep it fresh from domain events, reindex resumably."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from stockflow.analysis.ports import KeyFiguresReader
from stockflow.core.events import Event
from stockflow.core.ports import Clock
from stockflow.core.problems import invalid
from stockflow.news.ports import ArticleReader
from stockflow.search.config import SearchSettings
from stockflow.search.documents import (
    CompanyRecord,
    FinancialProfile,
    NewsArticle,
    SentimentLabel,
    company_document,
    financial_document,
    news_document,
    suggest_entry,
)
from stockflow.search.domain import (
    FILTER_FIELDS,
    DocType,
    InvalidCursor,
    SearchDocument,
    SearchPage,
    SearchRequest,
    Suggestion,
    doc_key,
)
from stockflow.search.ports import (
    DocumentSource,
    MemoryPendingLabels,
    PendingLabels,
    ReindexCheckpoints,
    SearchIndex,
)
from stockflow.search.query import MAX_FILTER_VALUES, parse
from stockflow.search.sources import article_record


class SearchService:
    """What the routes and event handlers call; takes its index, settings and clock."""

    def __init__(self, index: SearchIndex, settings: SearchSettings, clock: Clock,
                 labels: PendingLabels | None = None, *,
                 articles: ArticleReader | None = None,
                 figures: KeyFiguresReader | None = None) -> None:
        self.index = index
        self.settings = settings
        self.clock = clock
        self.labels = labels if labels is not None else MemoryPendingLabels()
        # The news context's stored articles, when it runs: the analysed article (story,
        # sentiment, events, entities) is indexed rather than the raw one the event carries.
        self.articles = articles
        # The analysis context's key figures: `financials.updated` names only the ticker.
        self.figures = figures

    async def search(self, q: str, *, types: Iterable[str] | None = None,
                     filters: Mapping[str, Iterable[str]] | None = None,
                     published_from: datetime | None = None,
                     published_to: datetime | None = None, limit: int | None = None,
                     cursor: str | None = None, collapse: bool = True,
                     facets: bool = True, news_before: datetime | None = None) -> SearchPage:
        """Ranked hits with highlights and facets; bad filters, limits or cursors are a 422."""
        limit = self.settings.default_limit if limit is None else limit
        if not 1 <= limit <= self.settings.max_limit:
            raise invalid(f"limit must be between 1 and {self.settings.max_limit}")
        if published_from and published_to and published_from > published_to:
            raise invalid("'from' is after 'to'")
        chosen = _filters(filters or {})
        wanted = parse_types(types)
        if wanted:
            chosen["type"] = wanted
        request = SearchRequest(
            query=parse(q), filters=chosen, published_from=published_from,
            published_to=published_to, limit=limit, cursor=cursor or None, facets=facets,
            histogram=self.settings.histogram, collapse=collapse, news_before=news_before,
            window=self.settings.rank_window)
        try:
            return await self.index.search(request)
        except InvalidCursor:
            raise invalid("cursor is not one this API issued for this search") from None

    async def suggest(self, q: str, *, limit: int | None = None) -> list[Suggestion]:
        limit = self.settings.suggest_limit if limit is None else limit
        if not 1 <= limit <= 50:
            raise invalid("limit must be between 1 and 50")
        return await self.index.suggest(q, limit=limit)

    # -- keeping the index fresh ---------------------------------------------------------------
    async def on_company_updated(self, event: Event) -> None:
        await self.index_companies([_payload(CompanyRecord, event)])

    async def index_companies(self, records: Iterable[CompanyRecord]) -> int:
        """Company documents and their autocomplete entries, upserted by ticker."""
        docs = [company_document(r) for r in records]
        await self.index.upsert(docs)
        await self.index.upsert_symbols([suggest_entry(d) for d in docs])
        return len(docs)

    async def on_article_published(self, event: Event) -> None:
        data = _news_fields(event.data)
        stored = await self._index_stored(data.get("id"))
        if stored is not None:
            if stored.sentiment is None:
                # Read again after the write: if analysis stored its verdict meanwhile, its
                # sentiment event may have indexed the analysed article before our write
                # landed, and the raw one we wrote would win. A read after our write sees that
                # verdict, or else the sentiment handler's own read (and write) comes later.
                await self._index_stored(data.get("id"), unless=stored)
            return
        doc = news_document(_validate(NewsArticle, event.type, data))
        await self.index.upsert([doc])
        # Analysis may have stored the article (and its sentiment event indexed it) while the
        # raw one was written: looking again after the write means the analysed one wins.
        if await self._index_stored(doc.id) is not None:
            return
        # After the write: a label noted before it is applied here, one noted after it finds
        # the article in the index (on_sentiment_analyzed checks again once it has noted).
        await self._apply_pending(doc.id)

    async def on_sentiment_analyzed(self, event: Event) -> None:
        """Index the analysed article (news publishes this once it is stored); without the news
        context, re-label an indexed article, or note the label for one not indexed yet."""
        if await self._index_stored(event.data.get("article_id")) is not None:
            return
        data = _payload(SentimentLabel, event)
        if await self._relabel(data.article_id, data.label):
            return
        await self.labels.put(data.article_id, data.label, self.clock.now())
        await self._apply_pending(data.article_id)

    async def _index_stored(self, article_id: object, unless: NewsArticle | None = None,
                            ) -> NewsArticle | None:
        """Index the news context's stored article and return its record; None when there is
        none (or no news context). Nothing is written when it equals `unless`."""
        if self.articles is None or not isinstance(article_id, str) or not article_id:
            return None
        found = await self.articles.get(article_id)
        if found is None:
            return None
        record = article_record(found)
        if record != unless:
            await self.index.upsert([news_document(record)])
        return record

    async def _apply_pending(self, article_id: str) -> None:
        if await self.index.get(doc_key(DocType.NEWS, article_id)) is None:
            return
        label = await self.labels.take(article_id)
        if label is not None:
            await self._relabel(article_id, label)

    async def _relabel(self, article_id: str, label: str) -> bool:
        current = await self.index.get(doc_key(DocType.NEWS, article_id))
        if current is not None and current.sentiment != label:
            await self.index.upsert([replace(current, sentiment=label)])
        return current is not None

    async def drop_stale_labels(self) -> int:
        """Labels of articles that never arrived, noted more than a week ago."""
        return await self.labels.drop_before(self.clock.now() - timedelta(days=7))

    async def on_financials_updated(self, event: Event) -> None:
        """The company's profile from the analysis context's figures (the event names the
        ticker); without that context, from a payload that carries the figures itself."""
        if self.figures is None:
            await self.index.upsert([financial_document(_payload(FinancialProfile, event))])
            return
        ticker = event.data.get("ticker")
        if not isinstance(ticker, str) or not ticker:
            raise ValueError(f"{event.type} payload names no ticker")
        found = await self.figures.key_figures(ticker)
        if found is not None:
            await self.index.upsert([financial_document(found)])

    async def cleanup(self) -> int:
        """The daily clean-up: news past the retention period leaves the index."""
        days = self.settings.news_retention_days
        if days is None:
            return 0
        cutoff = self.clock.now() - timedelta(days=days)
        return await self.index.purge(doc_type=DocType.NEWS, published_before=cutoff)


@dataclass(frozen=True, slots=True)
class ReindexProgress:
    doc_type: DocType
    done: int
    total: int | None
    finished: bool = False


class Reindexer:
    """Rewrites the index from the sources of truth, batch by batch, resuming where it stopped."""

    def __init__(self, index: SearchIndex, source: DocumentSource,
                 checkpoints: ReindexCheckpoints, *, batch_size: int = 500) -> None:
        self.index = index
        self.source = source
        self.checkpoints = checkpoints
        self.batch_size = batch_size

    async def run(self, types: Iterable[DocType] = tuple(DocType), *,
                  progress: Callable[[ReindexProgress], Any] | None = None,
                  restart: bool = False) -> dict[DocType, int]:
        """Documents written per type (counting those of an earlier, interrupted run)."""
        written = {}
        for doc_type in types:
            if restart:
                await self.checkpoints.clear(doc_type)
            written[doc_type] = await self._one(doc_type, progress)
        await self.index.optimize()
        return written

    async def _one(self, doc_type: DocType,
                   progress: Callable[[ReindexProgress], Any] | None) -> int:
        after, done = await self.checkpoints.load(doc_type)
        total = await self.source.total(doc_type)
        while True:
            batch = list(await self.source.page(doc_type, after, self.batch_size))
            if not batch:
                break
            await self._write(doc_type, batch)
            after, done = batch[-1].id, done + len(batch)
            await self.checkpoints.save(doc_type, after, done)
            if progress is not None:
                progress(ReindexProgress(doc_type, done, total))
        await self.checkpoints.clear(doc_type)
        if progress is not None:
            progress(ReindexProgress(doc_type, done, total, finished=True))
        return done

    async def _write(self, doc_type: DocType, batch: list[SearchDocument]) -> None:
        await self.index.upsert(batch)
        if doc_type is DocType.COMPANY:
            await self.index.upsert_symbols([suggest_entry(d) for d in batch])


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _payload(record: type[Any], event: Event) -> Any:
    return _validate(record, event.type, event.data)


def _validate(record: type[Any], topic: str, data: Mapping[str, Any]) -> Any:
    adapter = _ADAPTERS.get(record)
    if adapter is None:
        adapter = _ADAPTERS[record] = TypeAdapter(record)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        # The bus retries, then dead-letters with this reason; nothing is half-indexed.
        raise ValueError(f"{topic} payload is invalid: {exc.errors()[:3]}") from None


def _news_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """news.article.published as the news context publishes it names the id `article_id` and
    the language `language`; the record's names are `id` and `lang` (both shapes accepted)."""
    out = dict(data)
    if "id" not in out and "article_id" in out:
        out["id"] = out["article_id"]
    if "lang" not in out and "language" in out:
        out["lang"] = out["language"]
    return out


def _filters(filters: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    out = {}
    for name, values in filters.items():
        if name not in FILTER_FIELDS:
            raise invalid(f"unknown filter {name!r}; known: {', '.join(FILTER_FIELDS)}")
        kept = tuple(v for v in (str(x).strip() for x in values) if v)
        if len(kept) > MAX_FILTER_VALUES:
            raise invalid(f"at most {MAX_FILTER_VALUES} values for filter {name!r}")
        if kept:
            out[name] = kept
    return out


def parse_types(types: Iterable[str] | None) -> tuple[str, ...]:
    """Document type names asked for; () means every type; an unknown one is a 422."""
    if types is None:
        return ()
    names = tuple(dict.fromkeys(t.strip().lower() for t in types if t.strip()))
    if "all" in names:
        return ()
    known = {t.value for t in DocType}
    unknown = [t for t in names if t not in known]
    if unknown:
        raise invalid(f"unknown type {unknown[0]!r}; known: company, news, financials, all")
    return names
