"""The search context's declaration (seed: search and index): the full-text index of companies,
news and financial profiles, its routes, the `search` worker that keeps it fresh from the bus
and indexes the market's universe at start, and the daily clean-up job."""

from __future__ import annotations

from typing import Any

from stockflow.core.health import DEGRADED, OK
from stockflow.core.module import ContextModule, ContextParts, Plan, Platform, Worker
from stockflow.search.config import SearchSettings

SERVICE = "search"
WORKER = "search"


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.analysis.ports import KeyFiguresReader
    from stockflow.core import registry
    from stockflow.market.ports import MarketReader
    from stockflow.news.ports import ArticleReader, ArticleViews
    from stockflow.search import handlers, tasks
    from stockflow.search.domain import DocType
    from stockflow.search.ports import SearchIndex
    from stockflow.search.repository import SqlCheckpoints, SqlPendingLabels
    from stockflow.search.service import Reindexer, SearchService
    from stockflow.search.sources import (
        ArticleSource,
        FiguresSource,
        SourcesByType,
        StoredSource,
        UniverseSource,
    )

    s = p.settings.search
    db, own_db = p.db, s.database_url is not None
    if own_db:  # an index in a database of its own: connected and given its schema here
        db = registry.build("storage", s.database_url)
    index = registry.build("search", _index_url(s, db, p.settings.data_dir), database=db)
    # Each type is read from the context that owns it; the index's own copy only when that
    # context does not run (switched off).
    articles, figures = p.ports.find(ArticleReader), p.ports.find(KeyFiguresReader)
    search = SearchService(index, s, p.clock, SqlPendingLabels(db), articles=articles,
                           figures=figures)
    market = p.ports.get(MarketReader)
    stored = StoredSource(index)
    reindexer = Reindexer(index, SourcesByType({
        DocType.COMPANY: UniverseSource(market),
        DocType.NEWS: ArticleSource(articles) if articles is not None else stored,
        DocType.FINANCIALS: FiguresSource(figures) if figures is not None else stored}), SqlCheckpoints(db), batch_size=s.reindex_batch_size)

    async def health() -> tuple[str, Any]:
        detail = {"documents": await index.count()}
        # PostgreSQL without pg_trgm: suggestions still answer, by prefix only.
        if not getattr(index, "typo_tolerant", True):  # an engine-specific property
            return DEGRADED, {**detail, "suggest": "prefix only: pg_trgm is not installed"}
        return OK, detail

    def worker() -> Worker:
        universe = tasks.UniverseIndexer(search, market)
        return Worker(WORKER, handlers=handlers.handlers(search), loops=[universe],
                      unit=universe)

    parts = ContextParts(
        "search", ports={SearchService: search, SearchIndex: index, Reindexer: reindexer},
        jobs=tasks.jobs(search), health={"search": health},
        workers={WORKER: worker}, on_start=[index.prepare])
    if hasattr(index, "close"):  # an index of its own (Tantivy): its writer lock is released
        parts.on_stop.append(index.close)
    if own_db:
        async def open_own() -> None:
            await db.connect()
            await index.ensure_schema()

        parts.on_start.insert(0, open_own)
        parts.on_stop.append(db.close)
    if plan.serves(SERVICE):
        from stockflow.search import api

        parts.routers.append(api.router)
        parts.guards += api.GUARDS
        if p.ports.find(ArticleViews) is not None:  # the news context runs: serve its search
            parts.routers.append(api.news_router)
            parts.guards += api.NEWS_GUARDS
    return parts


def _index_url(s: SearchSettings, db: Any, data_dir: Any) -> str:
    """The index's URL: the search database's own, or a Tantivy folder (in the data folder
    unless absolute) for `tantivy`, and for `auto` when that database is SQLite."""
    from pathlib import Path
    from urllib.parse import quote

    if s.engine == "database" or (s.engine == "auto" and db.dialect != "sqlite"):
        return str(db.url)
    return "tantivy://" + quote((Path(data_dir) / s.index_dir).resolve().as_posix())


MODULE = ContextModule(
    name="search",
    build=build,
    settings={"search": SearchSettings},
    services=(SERVICE,),
    workers=(WORKER,),
    tables="stockflow.search.tables",
    migrations="stockflow.search.migrations",
    enabled=lambda settings: settings.search.enabled,
)
