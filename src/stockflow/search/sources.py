"""Where a reindex reads each document type from: companies from the market's universe (the
source of truth this process can reach), news and financial profiles from the documents the
index already stores (re-tokenised and re-ranked by the current rules). A context that owns a
store of articles or statements can publish a DocumentSource for its type instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stockflow.market.domain import Instrument
from stockflow.market.ports import MarketReader
from stockflow.search.documents import CompanyRecord, company_document
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
