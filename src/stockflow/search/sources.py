"""Where a reindex reads each document type from: from the context that owns it. Companies come
from the market's universe, news articles from the news context's ArticleReader port. Only when
the owner does not run here (its context switched off) does a reindex rewrite the documents the
index already stores (re-tokenised and re-ranked by the current rules). Financial profiles come
from the analysis context's KeyFiguresReader port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stockflow.analysis.ports import KeyFiguresReader
from stockflow.market.domain import Instrument
from stockflow.market.ports import MarketReader
from stockflow.news.domain import Article
from stockflow.news.ports import ArticleReader
from stockflow.search.documents import (
    CompanyRecord,
    NewsArticle,
    company_document,
    financial_document,
    news_document,
)
from stockflow.search.domain import DocType, SearchDocument
from stockflow.search.ports import DocumentSource, SearchIndex


def company_record(instrument: Instrument) -> CompanyRecord:
    meta = instrument.metadata or {}
    return CompanyRecord(
        ticker=instrument.ticker, name=instrument.name or instrument.ticker,
        aliases=tuple(str(a) for a in meta.get("aliases", ())), exchange=instrument.exchange,
        asset_class=str(instrument.asset_class), sector=instrument.sector or None,
        industry=instrument.industry or None, country=meta.get("country"),
        market_cap=max(instrument.market_cap, 0) or None)


class UniverseSource:
    """The market's instrument universe as company documents, in ticker order."""

    def __init__(self, market: MarketReader) -> None:
        self.market = market

    def _documents(self) -> list[SearchDocument]:
        docs = (company_document(company_record(i)) for i in self.market.universe)
        return sorted(docs, key=lambda d: d.id)

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]:
        docs = self._documents() if doc_type is DocType.COMPANY else []
        return [d for d in docs if after is None or d.id > after][:limit]

    async def total(self, doc_type: DocType) -> int | None:
        return len(self.market.universe) if doc_type is DocType.COMPANY else 0


def article_record(a: Article) -> NewsArticle:
    """A stored, analysed article as the search record (sentiment label, events, story)."""
    return NewsArticle(
        id=a.id, title=a.title, body=a.body, source=a.source, lang=a.language.value,
        tickers=tuple(m.ticker for m in a.tickers), entities=tuple(e.text for e in a.entities),
        sentiment=a.sentiment.label.value if a.sentiment else None,
        event_types=tuple(e.type.value for e in a.events), published_at=a.published_at,
        story_id=a.story_id, url=a.url)


class ArticleSource:
    """The news context's stored articles, in id order, through its ArticleReader port."""

    def __init__(self, reader: ArticleReader) -> None:
        self.reader = reader

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]:
        if doc_type is not DocType.NEWS:
            return []
        return [news_document(article_record(a)) for a in await self.reader.page_by_id(after, limit)]

    async def total(self, doc_type: DocType) -> int | None:
        return await self.reader.count() if doc_type is DocType.NEWS else 0


class FiguresSource:
    """The analysis context's key figures, in ticker order, through its KeyFiguresReader port."""

    def __init__(self, reader: KeyFiguresReader) -> None:
        self.reader = reader

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]:
        if doc_type is not DocType.FINANCIALS:
            return []
        # A ticker without figures is skipped, not the end: read on until a page has some.
        while tickers := await self.reader.tickers(after, limit):
            found = [f for t in tickers if (f := await self.reader.key_figures(t)) is not None]
            if found:
                return [financial_document(f) for f in found]
            after = tickers[-1]
        return []

    async def total(self, doc_type: DocType) -> int | None:
        return await self.reader.count() if doc_type is DocType.FINANCIALS else 0


class StoredSource:
    """The index's own stored documents: a reindex rewrites their full-text entries."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]:
        return await self.index.page(doc_type, after, limit)

    async def total(self, doc_type: DocType) -> int | None:
        return await self.index.count(doc_type)


class SourcesByType:
    """One DocumentSource per document type."""

    def __init__(self, sources: Mapping[DocType, DocumentSource]) -> None:
        self.sources = dict(sources)

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> Sequence[SearchDocument]:
        return await self.sources[doc_type].page(doc_type, after, limit)

    async def total(self, doc_type: DocType) -> int | None:
        return await self.sources[doc_type].total(doc_type)
