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
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import tantivy
from tantivy import Occur, Order, Query

from stockflow.adapters.search.rows import document_row, row_document
from stockflow.adapters.search.tantivy_query import (
    TEXT_ANALYZER,
    QueryBuilder,
    build_schema,
    story_hash,
    text_analyzer,
    weight,
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
from stockflow.search.text import index_text

WRITER_HEAP_BYTES = 64 * 1024 * 1024
SCHEMA_VERSION = 1


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
        self._searcher: tantivy.Searcher | None = None
        self._next_seq = 1
        self._writes: ThreadPoolExecutor | None = None
        self._open_lock = asyncio.Lock()
        self._idle_task: asyncio.Task[None] | None = None

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
        await self.symbols.prepare()
        await self._open()

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
        if self._idle_task is not None:
            from stockflow.core.lifecycle import cancel_and_wait

            await cancel_and_wait(self._idle_task)
            self._idle_task = None
        if self._lease is not None:
            await self._write(self._lease.release)
        self._index = self._searcher = self._lease = None
        if self._writes is not None:
            self._writes.shutdown(wait=True)
            self._writes = None

    @property
    def searcher(self) -> tantivy.Searcher:
        if self._searcher is None:
            raise RuntimeError("the search index is not open; await prepare() first")
        return self._searcher

    def _refresh(self) -> None:
        assert self._index is not None
        self._index.reload()
        self._searcher = self._index.searcher()

    async def _write(self, fn: Any, *args: Any) -> Any:
        if self._writes is None:
            self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-index")
        return await asyncio.get_running_loop().run_in_executor(self._writes, fn, *args)

    async def _read(self, fn: Any, *args: Any) -> Any:
        if self._searcher is None:
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
        known = self._seqs([d.key for d in docs])
        for doc in docs:
            seq = known.get(doc.key)
            if seq is None:
                seq, self._next_seq = self._next_seq, self._next_seq + 1
            else:
                writer.delete_documents_by_term("key", doc.key)
            writer.add_document(self._document(doc, seq))
        writer.commit()
        self._refresh()

    def _seqs(self, keys: list[str]) -> dict[str, int]:
        if self._searcher is None or not keys:
            return {}
        found: dict[str, int] = {}
        s = self.searcher
        for i in range(0, len(keys), 1024):
            chunk = keys[i:i + 1024]
            result = s.search(Query.term_set_query(self.schema, "key", chunk), len(chunk),
                              count=False)
            addrs = [a for _, a in result.hits]
            for addr, seq in zip(addrs, s.fast_field_values("seq", addrs), strict=True):
                found[self._key_of(addr)] = int(seq)
        return found

    def _key_of(self, addr: tantivy.DocAddress) -> str:
        return str(json.loads(self.searcher.doc(addr).get_first("doc"))["key"])

    def _document(self, doc: SearchDocument, seq: int) -> tantivy.Document:
        row = document_row(doc)   # the SQL engines' normalised form, so `get` answers alike
        out = tantivy.Document()
        for name, text in (("key", doc.key), ("doc_type", doc.type.value),
                           ("doc", json.dumps(row)), ("title", index_text(doc.title)),
                           ("keywords", index_text(" ; ".join(doc.keywords))),
                           ("body", index_text(doc.body))):
            out.add_text(name, text)
        for name in ("sector", "industry", "exchange", "asset_class", "country", "source",
                     "lang", "sentiment"):
            if row[name] is not None:
                out.add_text(name, row[name])
        for name, value in doc.tags():
            out.add_text("tickers" if name == "ticker" else "event_types", value)
        out.add_unsigned("seq", seq)
        out.add_integer("story", story_hash(row["story_key"]))
        out.add_float("weight", weight(row["boost"]))
        out.add_float("recency", float(row["published_at"] or 0) + row["boost"])
        if row["published_at"] is not None:
            published = datetime.fromtimestamp(row["published_at"], UTC)
            out.add_date("published", published)
            if doc.type is DocType.NEWS:
                out.add_date("news_published", published)
        return out

    async def delete(self, keys: Sequence[str]) -> int:
        await self._open()
        return int(await self._write(self._delete_sync, Query.term_set_query(
            self.schema, "key", list(keys)) if keys else Query.empty_query()))

    def _delete_sync(self, query: Query) -> int:
        assert self._lease is not None
        self._refresh()
        n = self.searcher.search(query, 1, count=True).count or 0
        if n:
            writer = self._lease.acquire()
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
                                           None, published_before.astimezone(UTC),
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
        docs = await self._read(self._docs_where, Query.term_query(self.schema, "key", key), 1)
        return docs[0] if docs else None

    def _docs_where(self, query: Query, limit: int,
                    after_seq: int | None = None) -> list[SearchDocument]:
        s = self.searcher
        if after_seq is not None:
            query = Query.boolean_query([(Occur.Must, query), (Occur.Must, Query.range_query(
                self.schema, "seq", tantivy.FieldType.Unsigned, after_seq, None,
                include_lower=False))])
        result = s.search(query, limit, count=False, order_by_field="seq", order=Order.Asc)
        return [row_document(json.loads(s.doc(a).get_first("doc"))) for _, a in result.hits]

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> list[SearchDocument]:
        """A type's documents in the order they were first indexed (a reindex re-reads them).
        `after` is the id of the last document of the previous page."""
        kind = DocType(doc_type).value

        def run() -> list[SearchDocument]:
            after_seq = None
            if after is not None:
                after_seq = self._seqs([f"{kind}:{after}"]).get(f"{kind}:{after}")
            return self._docs_where(Query.term_query(self.schema, "doc_type", kind),
                                    max(1, limit), after_seq)

        return await self._read(run)

    async def count(self, doc_type: DocType | None = None) -> int:
        def run() -> int:
            if doc_type is None:
                return int(self.searcher.num_docs)
            q = Query.term_query(self.schema, "doc_type", DocType(doc_type).value)
            return int(self.searcher.search(q, 1, count=True).count or 0)

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
