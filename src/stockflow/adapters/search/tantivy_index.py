"""SearchIndex on Tantivy (a Lucene-like engine in Rust) in a folder: the embedded fast index.

Documents, their ranking (BM25 with the SQL engines' field weights and boost), filters, facets
and the histogram are Tantivy's, and exact at any size: no ranking window is needed (a request's
`window` is ignored, `estimated` is never set). Symbols and suggestions stay in the search
database's own engine (FTS5 trigrams, pg_trgm), which meets their budget.

Writes run on one thread of their own, in order, each batch committed before `upsert` returns,
so a document is searchable when its upsert returns (the port's promise); the folder's writer
lock is held only for a burst of writes (tantivy_writer.py), so a reindex command or a second
process can write too. Readers in other processes see a commit within about half a second
(Tantivy reloads on commit). Searches run in threads: Tantivy releases the GIL.

The folder holds one subfolder per schema version: a StockFlow with another schema starts an
empty index beside the old one, which `stockflow search reindex` fills.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
import tantivy
from tantivy import Occur, Order, Query

from stockflow.adapters.search.tantivy_documents import (
    ids_after,
    stored_document,
    stored_row,
    to_tantivy,
)
from stockflow.adapters.search.tantivy_query import (
    TEXT_ANALYZER,
    QueryBuilder,
    build_schema,
    text_analyzer,
    utc,
)
from stockflow.adapters.search.tantivy_results import aggregations, collect_page, shape_aggregations
from stockflow.adapters.search.tantivy_writer import WriterLease
from stockflow.core.ports import Database
from stockflow.search.domain import (
    DocType,
    SearchDocument,
    SearchPage,
    SearchRequest,
    SuggestEntry,
    Suggestion,
)
from stockflow.search.ports import SearchIndex

WRITER_HEAP_BYTES = 64 * 1024 * 1024
SCHEMA_VERSION = 1
IMPORTED = "imported-from-database"   # marker: the one-time import from the database index ran
IMPORT_BATCH = 2_000

log = structlog.get_logger(__name__)


class TantivySearchIndex:
    """Documents in a Tantivy folder; symbols and suggestions delegated to `symbols`."""

    counts_every_match = True  # a request's window changes nothing here

    def __init__(self, path: Path | str | None, symbols: SearchIndex, *,
                 writer_heap_bytes: int = WRITER_HEAP_BYTES, writer_threads: int = 1,
                 writer_idle_seconds: float = 1.0, lock_wait_seconds: float = 15.0) -> None:
        self.path = None if path is None else Path(path)   # None: in memory (tests)
        self.symbols = symbols
        self.schema = build_schema()
        self.queries = QueryBuilder(self.schema, text_analyzer())
        self._lease_options = {"heap_bytes": writer_heap_bytes, "threads": writer_threads,
                               "idle_seconds": writer_idle_seconds,
                               "lock_wait_seconds": lock_wait_seconds}
        self._index: tantivy.Index | None = None
        self._lease: WriterLease | None = None
        self._next_seq = 1
        self._writes: ThreadPoolExecutor | None = None
        self._open_lock = asyncio.Lock()
        self._idle_task: asyncio.Task[None] | None = None
        self._import_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"TantivySearchIndex({str(self.path) if self.path else 'memory'!r})"

    @property
    def typo_tolerant(self) -> bool:
        return bool(getattr(self.symbols, "typo_tolerant", True))

    # -- lifecycle ---------------------------------------------------------------------------
    async def ensure_schema(self) -> None:
        await self.symbols.ensure_schema()
        await self._open()

    async def prepare(self) -> None:
        """At the platform's start: open the folder, and the first time, bring over what the
        search database's own index holds (an installation that ran the database engine)."""
        await self.symbols.prepare()
        await self._open()
        marker = self._marker()
        if marker is not None and not marker.exists() and self._import_task is None:
            self._import_task = asyncio.create_task(self._import_database(marker),
                                                    name="search-index-import")

    def _marker(self) -> Path | None:
        return None if self.path is None else self.path / f"v{SCHEMA_VERSION}" / IMPORTED

    async def _import_database(self, marker: Path) -> None:
        """Every document of the database index, type by type in id order; upserts replace, so
        an import stopped half-way simply runs again at the next start."""
        copied = 0
        if await self.symbols.count():
            for doc_type in DocType:
                after: str | None = None
                while batch := await self.symbols.page(doc_type, after, IMPORT_BATCH):
                    copied += await self.upsert(batch)
                    after = batch[-1].id
            log.info("search documents imported from the database index", documents=copied)
        marker.write_text(f"{copied} documents imported from the database index\n")

    async def _open(self) -> None:
        async with self._open_lock:
            if self._index is None:
                await self._write(self._open_sync)
                self._idle_task = asyncio.create_task(self._release_when_idle(),
                                                      name="search-index-writer")

    def _open_sync(self) -> None:
        folder = None
        if self.path is not None:
            folder = self.path / f"v{SCHEMA_VERSION}"
            folder.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self.schema, path=None if folder is None else str(folder),
                              reuse=True)
        index.register_tokenizer(TEXT_ANALYZER, text_analyzer())
        self._index = index
        self._lease = WriterLease(index, on_acquire=self._on_acquire, **self._lease_options)
        self._refresh()

    def _on_acquire(self) -> None:
        # The writer may have been another process's since this one last held it.
        self._refresh()
        last = self.searcher.search(Query.all_query(), 1, order_by_field="seq")
        self._next_seq = int(last.hits[0][0]) + 1 if last.hits else 1

    async def _release_when_idle(self) -> None:
        assert self._lease is not None
        every = min(self._lease.idle_seconds, self._lease.max_hold_seconds) / 2
        while True:
            await asyncio.sleep(every)
            if self._lease.held:
                await self._write(self._lease.release_if_due)

    async def close(self) -> None:
        """Finish merges and release the folder's writer lock (the platform's stop)."""
        from stockflow.core.lifecycle import cancel_and_wait

        for task in (self._import_task, self._idle_task):
            await cancel_and_wait(task)
        self._import_task = self._idle_task = None
        if self._lease is not None:
            await self._write(self._lease.release)
        self._index = self._lease = None
        if self._writes is not None:
            self._writes.shutdown(wait=True)
            self._writes = None

    @property
    def searcher(self) -> tantivy.Searcher:
        """The newest searcher: this process's commits at once (reloaded after each), other
        processes' within about half a second (Tantivy reloads on their commits). One read uses
        one searcher throughout: a document address belongs to the searcher that returned it."""
        if self._index is None:
            raise RuntimeError("the search index is not open; await prepare() first")
        return self._index.searcher()

    def _refresh(self) -> None:
        assert self._index is not None
        self._index.reload()

    async def _write(self, fn: Any, *args: Any) -> Any:
        if self._writes is None:
            self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-index")
        return await asyncio.get_running_loop().run_in_executor(self._writes, fn, *args)

    async def _read(self, fn: Any, *args: Any) -> Any:
        if self._index is None:
            await self._open()
        return await asyncio.to_thread(fn, *args)

    # -- writes ------------------------------------------------------------------------------
    async def upsert(self, documents: Sequence[SearchDocument]) -> int:
        latest = {d.key: d for d in documents}  # the last version of a key wins within a batch
        if not latest:
            return 0
        await self._open()
        await self._write(self._upsert_sync, list(latest.values()))
        return len(latest)

    def _upsert_sync(self, docs: list[SearchDocument]) -> None:
        assert self._lease is not None
        writer = self._lease.acquire()
        try:
            known = _seqs(self.searcher, self.schema, [d.key for d in docs])
            seq = self._next_seq
            for doc in docs:
                if doc.key in known:
                    writer.delete_documents_by_term("key", doc.key)
                else:
                    known[doc.key], seq = seq, seq + 1
                writer.add_document(to_tantivy(doc, known[doc.key]))
            writer.commit()
        except BaseException:
            # A batch is written whole or not at all, as in a SQL transaction: what it queued
            # must not ride along with the next batch's commit.
            try:
                writer.rollback()
            except Exception:  # noqa: BLE001 - then the writer goes, and its queue with it
                self._lease.discard()
            raise
        self._next_seq = seq
        self._refresh()

    async def delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        await self._open()
        return int(await self._write(self._delete_sync, Query.term_set_query(
            self.schema, "key", list(keys))))

    def _delete_sync(self, query: Query) -> int:
        assert self._lease is not None
        writer = self._lease.acquire()   # first: the count must not race another writer's
        self._refresh()
        n = self.searcher.search(query, 1, count=True).count or 0
        if n:
            writer.delete_documents_by_query(query)
            writer.commit()
            self._refresh()
        return n

    async def purge(self, *, doc_type: DocType | None = None,
                    published_before: datetime | None = None) -> int:
        parts = []
        if doc_type is not None:
            parts.append(Query.term_query(self.schema, "doc_type", DocType(doc_type).value))
        if published_before is not None:
            parts.append(Query.range_query(self.schema, "published", tantivy.FieldType.Date,
                                           None, utc(published_before, upper=True),
                                           include_upper=False))
        query = (Query.boolean_query([(Occur.Must, q) for q in parts]) if parts
                 else Query.all_query())
        await self._open()
        return int(await self._write(self._delete_sync, query))

    async def optimize(self) -> None:
        await self.symbols.optimize()
        await self._open()
        await self._write(self._optimize_sync)

    def _optimize_sync(self) -> None:
        # Tantivy merges segments in the writer's background threads; releasing the writer waits
        # for them, and the files they replaced are then removed.
        assert self._lease is not None
        self._lease.acquire().garbage_collect_files()
        self._lease.release()
        self._refresh()

    # -- reads -------------------------------------------------------------------------------
    async def get(self, key: str) -> SearchDocument | None:
        def run() -> SearchDocument | None:
            s = self.searcher
            found = s.search(Query.term_query(self.schema, "key", key), 1, count=False).hits
            return stored_document(s, found[0][1]) if found else None

        return await self._read(run)  # type: ignore[no-any-return]

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> list[SearchDocument]:
        kind = Query.term_query(self.schema, "doc_type", DocType(doc_type).value)
        query = kind if after is None else Query.boolean_query(
            [(Occur.Must, kind), (Occur.Must, ids_after(self.schema, after))])

        def run() -> list[SearchDocument]:
            s = self.searcher
            found = s.search(query, max(1, limit), count=False, order_by_field="doc_id",
                             order=Order.Asc)
            return [stored_document(s, addr) for _, addr in found.hits]

        return await self._read(run)  # type: ignore[no-any-return]

    async def count(self, doc_type: DocType | None = None) -> int:
        def run() -> int:
            s = self.searcher
            if doc_type is None:
                return int(s.num_docs)
            q = Query.term_query(self.schema, "doc_type", DocType(doc_type).value)
            return int(s.search(q, 1, count=True).count or 0)

        return int(await self._read(run))

    async def search(self, request: SearchRequest) -> SearchPage:
        return await self._read(self._search_sync, request)  # type: ignore[no-any-return]

    def _search_sync(self, request: SearchRequest) -> SearchPage:
        s = self.searcher
        query, ranked = self.queries.build(request)
        page = collect_page(s, query, ranked, request)
        facets, histogram, total = shape_aggregations(
            s.aggregate(query, aggregations(request)), request.histogram)
        return SearchPage(hits=page.hits, total=total, facets=facets if request.facets else {},
                          histogram=histogram, next_cursor=page.next_cursor)

    # -- symbols -----------------------------------------------------------------------------
    async def upsert_symbols(self, entries: Sequence[SuggestEntry]) -> int:
        return await self.symbols.upsert_symbols(entries)

    async def suggest(self, text: str, *, limit: int = 10) -> list[Suggestion]:
        return await self.symbols.suggest(text, limit=limit)


def _seqs(s: tantivy.Searcher, schema: tantivy.Schema, keys: list[str]) -> dict[str, int]:
    """The `seq` of each of `keys` already indexed."""
    found: dict[str, int] = {}
    for i in range(0, len(keys), 1024):
        chunk = keys[i:i + 1024]
        hits = s.search(Query.term_set_query(schema, "key", chunk), len(chunk), count=False).hits
        addrs = [a for _, a in hits]
        for addr, seq in zip(addrs, s.fast_field_values("seq", addrs), strict=True):
            found[str(stored_row(s, addr)["key"])] = int(seq)
    return found


def index_path(url: str) -> Path | None:
    """tantivy:///abs/dir, tantivy:dir (relative) or tantivy:memory (an index in memory)."""
    parts = urlsplit(url)
    raw = unquote((parts.netloc + parts.path) if parts.netloc else parts.path)
    if raw in ("", "memory"):
        return None
    return Path(raw)


def make_index(url: str, *, database: Database) -> TantivySearchIndex:
    """Registry factory for tantivy: URLs; symbols go to the search database's own engine."""
    from stockflow.core import registry

    return TantivySearchIndex(index_path(url),
                              registry.build("search", database.url, database=database))
