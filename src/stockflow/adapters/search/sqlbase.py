"""What the SQL search engines share: filters, facets, story collapsing, keyset cursors, upserts
and suggestion re-ranking. An engine (FTS5, PostgreSQL) supplies only its text match and score.

All SQL here is built from fixed fragments; every value, user text included, is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from stockflow.adapters.search.rows import (
    document_row,
    epoch,
    hit,
    rank_suggestions,
    row_document,
    shape_facets,
    symbol_row,
)
from stockflow.adapters.search.sqlparts import (
    Params,
    TextMatch,
    decode_search_cursor,
    filter_clauses,
    windowed,
)
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core.pagination import encode_cursor
from stockflow.core.sql import metadata
from stockflow.search.domain import (
    COLUMN_FACETS,
    DocType,
    SearchDocument,
    SearchPage,
    SearchRequest,
    SuggestEntry,
    Suggestion,
    doc_key,
)
from stockflow.search.tables import TABLES, create_engine_objects

DOC_COLUMNS = ("key", "doc_type", "doc_id", "title", "body", "keywords", "tickers", "event_types",
               "sector", "industry", "exchange", "asset_class", "country", "source", "lang",
               "sentiment", "published_at", "story_key", "url", "boost")
SUGGEST_CANDIDATES = 200
_HISTOGRAM_SECONDS = {"day": 86_400, "week": 604_800}
_MONDAY_1970 = 345_600  # 1970-01-05, so weekly buckets start on Mondays


class SqlSearchBase:
    """SearchIndex on a SqlDatabase; subclasses implement `_text_match` and the FTS writes."""

    dialect = ""
    _unnest_events = ""  # FROM-clause tail giving e.value for each of hits.event_types

    def __init__(self, database: SqlDatabase) -> None:
        self.db = database

    # -- schema and writes -------------------------------------------------------------------
    async def ensure_schema(self) -> str | None:
        """For an index outside the migrated database (tests, bench): the same tables and engine
        DDL the search migration makes. Returns why suggestions lack typos, if they do."""
        async with self.db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all, tables=list(TABLES))
            return await conn.run_sync(create_engine_objects)

    async def prepare(self) -> None:
        """At start, on a migrated database: anything the engine must look up first."""

    async def upsert(self, documents: Sequence[SearchDocument]) -> int:
        latest = {d.key: d for d in documents}  # the last version of a key wins within a batch
        if not latest:
            return 0
        rows = [document_row(d) | self._row_extra(d) for d in latest.values()]
        updates = ", ".join(f"{c} = excluded.{c}" for c in DOC_COLUMNS if c != "key")
        values, names = self._insert_values()
        sql = (f"INSERT INTO search_documents ({', '.join(names)}) VALUES ({values}) "
               f"ON CONFLICT (key) DO UPDATE SET {updates}{self._extra_updates()}")
        async with self.db.engine.begin() as conn:
            await conn.execute(sa.text(sql), rows)
            pks = await _pks(conn, "search_documents", list(latest))
            await conn.execute(sa.text("DELETE FROM search_tags WHERE pk = :pk"),
                               [{"pk": pk} for pk in pks.values()])
            tag_rows = [{"field": f, "value": v, "pk": pks[d.key]}
                        for d in latest.values() for f, v in d.tags()]
            if tag_rows:
                await conn.execute(sa.text("INSERT INTO search_tags (field, value, pk) "
                                           "VALUES (:field, :value, :pk)"), tag_rows)
            await self._write_text(conn, [(pks[k], d) for k, d in latest.items()])
        return len(rows)

    def _insert_values(self) -> tuple[str, list[str]]:
        return ", ".join(f":{c}" for c in DOC_COLUMNS), list(DOC_COLUMNS)

    def _extra_updates(self) -> str:
        return ""

    def _row_extra(self, doc: SearchDocument) -> dict[str, Any]:
        return {}

    async def _write_text(self, conn: Any, docs: list[tuple[int, SearchDocument]]) -> None:
        """Engine hook: (re)write the full-text entries of freshly upserted documents."""

    async def _delete_text(self, conn: Any, pks: list[int]) -> None:
        """Engine hook: drop the full-text entries of documents about to be deleted."""

    async def get(self, key: str) -> SearchDocument | None:
        sql = f"SELECT {', '.join(DOC_COLUMNS)} FROM search_documents WHERE key = :key"
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.text(sql), {"key": key})).mappings().first()
        return None if row is None else row_document(row)

    async def page(self, doc_type: DocType, after: str | None,
                   limit: int) -> list[SearchDocument]:
        # Keys are "type:id", so one type's documents in id order are a range of the unique
        # key index (";" is the character after ":").
        p, kind = Params(), DocType(doc_type).value
        low, high = p.one(doc_key(kind, after or "")), p.one(f"{kind};")
        where = f"key > {low} AND key < {high}"
        sql = (f"SELECT {', '.join(DOC_COLUMNS)} FROM search_documents WHERE {where} "
               f"ORDER BY key LIMIT {int(limit)}")
        async with self.db.engine.connect() as conn:
            return [row_document(r) for r in (await conn.execute(sa.text(sql),
                                                                 p.values)).mappings()]

    async def delete(self, keys: Sequence[str]) -> int:
        async with self.db.engine.begin() as conn:
            pks = list((await _pks(conn, "search_documents", list(keys))).values())
            return await self._delete_pks(conn, pks)

    async def _delete_pks(self, conn: Any, pks: list[int]) -> int:
        if not pks:
            return 0
        await self._delete_text(conn, pks)
        rows = [{"pk": pk} for pk in pks]
        await conn.execute(sa.text("DELETE FROM search_tags WHERE pk = :pk"), rows)
        await conn.execute(sa.text("DELETE FROM search_documents WHERE pk = :pk"), rows)
        return len(pks)

    async def purge(self, *, doc_type: DocType | None = None,
                    published_before: datetime | None = None) -> int:
        p = Params()
        where = ["1 = 1"]
        if doc_type is not None:
            where.append(f"doc_type = {p.one(DocType(doc_type).value)}")
        if published_before is not None:
            where.append(f"published_at < {p.one(epoch(published_before))}")
        sql = f"SELECT pk FROM search_documents WHERE {' AND '.join(where)}"
        async with self.db.engine.begin() as conn:
            pks = [r[0] for r in await conn.execute(sa.text(sql), p.values)]
            return await self._delete_pks(conn, pks)

    async def count(self, doc_type: DocType | None = None) -> int:
        p = Params()
        where = f"WHERE doc_type = {p.one(DocType(doc_type).value)}" if doc_type else ""
        async with self.db.engine.connect() as conn:
            result = await conn.execute(sa.text(f"SELECT count(*) FROM search_documents {where}"),
                                        p.values)
            return int(result.scalar_one())

    async def optimize(self) -> None:
        async with self.db.engine.begin() as conn:
            for statement in self._optimize_sql():
                await conn.exec_driver_sql(statement)

    def _optimize_sql(self) -> list[str]:
        return []

    async def upsert_symbols(self, entries: Sequence[SuggestEntry]) -> int:
        latest = {e.key: e for e in entries}
        if not latest:
            return 0
        rows = [symbol_row(e) for e in latest.values()]
        cols = list(rows[0])
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "key")
        sql = (f"INSERT INTO search_symbols ({', '.join(cols)}) VALUES "
               f"({', '.join(':' + c for c in cols)}) ON CONFLICT (key) DO UPDATE SET {updates}")
        async with self.db.engine.begin() as conn:
            await conn.execute(sa.text(sql), rows)
            pks = await _pks(conn, "search_symbols", list(latest))
            await self._write_symbols(conn, [(pks[r["key"]], r["match_text"]) for r in rows])
        return len(rows)

    async def _write_symbols(self, conn: Any, rows: list[tuple[int, str]]) -> None:
        """Engine hook: (re)write the trigram entries of upserted symbols."""

    # -- search ------------------------------------------------------------------------------
    def _text_match(self, request: SearchRequest, p: Params) -> TextMatch:
        raise NotImplementedError

    def _month_bucket(self) -> str:
        raise NotImplementedError

    async def _small_tag_sets(self, conn: Any, request: SearchRequest
                              ) -> frozenset[tuple[str, tuple[str, ...]]]:
        """Engine hook: the request's tag filters few enough documents carry that checking
        matches against their set beats probing the tag index per match (sqlparts)."""
        return frozenset()

    async def _begin_search(self, conn: Any) -> None:
        """Engine hook: settings for the search transaction about to run."""

    async def search(self, request: SearchRequest) -> SearchPage:
        async with self.db.engine.connect() as conn:
            await self._begin_search(conn)
            small = await self._small_tag_sets(conn, request)
            p = Params()
            match = self._text_match(request, p)
            where = " AND ".join(match.where + filter_clauses(request, p, small=small,
                                                              pk=match.pk)) or "1 = 1"
            sql = self._search_sql(request, match, where, p)
            rows = (await conn.execute(sa.text(sql), p.values)).all()
            # in the database's own order (its collation of keys may not be Python's)
            page = sorted((r for r in rows if r[0] == "@hit"), key=lambda r: r[4])
            docs = await self._fetch(conn, [r[2] for r in page])
        window = next((r[2] for r in rows if r[0] == "@window"), None)
        facets, histogram, total = shape_facets(
            [r for r in rows if r[0] not in ("@hit", "@window")], request.histogram)
        limit = max(1, request.limit)
        terms = request.query.highlight_terms()
        hits = [hit(docs[r[2]], r[3], terms) for r in page[:limit]]
        next_cursor = None
        if len(page) > limit:
            last = hits[-1]
            next_cursor = encode_cursor({"s": last.score, "k": last.document.key})
        return SearchPage(hits=hits, total=total, facets=facets if request.facets else {},
                          histogram=histogram, next_cursor=next_cursor,
                          estimated=window is not None and window >= (request.window or 0))

    def _search_sql(self, request: SearchRequest, match: TextMatch, where: str,
                    p: Params) -> str:
        """One statement: the matches are found and scored once, then both the page (best of
        each story, after the cursor) and every facet are read from that materialised set."""
        limit = p.one(max(1, request.limit) + 1)  # one more tells whether a next page exists
        keyset = ""
        if request.cursor:
            score, key = decode_search_cursor(request.cursor)
            s, k = p.one(score), p.one(key)
            keyset = f"AND (score < {s} OR (score = {s} AND key > {k}))"
        rank = ("row_number() OVER (PARTITION BY story_key ORDER BY score DESC, key)"
                if request.collapse else "1")
        facet_cols = ", ".join(f"d.{c} AS {c}" for c in COLUMN_FACETS if c != "type")
        cols = (f"d.pk AS pk, d.key AS key, d.story_key AS story_key, {match.score} AS score, "
                f"d.doc_type AS doc_type, {facet_cols}, d.published_at AS published_at, "
                f"d.event_types AS event_types")
        if request.window is None:
            matches = f"hits AS MATERIALIZED (SELECT {cols}, 1.0 AS w FROM {match.from_} WHERE {where})"
        else:
            matches = windowed(request.window, cols, match, where)
        arms = ["SELECT '@hit' AS facet, key AS value, pk AS n, score, ord FROM page"]
        arms += self._facet_arms(request)
        return (f"WITH {match.prelude}{matches}, "
                f"ranked AS (SELECT pk, key, score, {rank} AS rn FROM hits), "
                f"page AS (SELECT pk, key, score, row_number() OVER (ORDER BY score DESC, key) AS ord "
                f"FROM ranked WHERE rn = 1 {keyset} "
                f"ORDER BY score DESC, key LIMIT {limit}) " + " UNION ALL ".join(arms))

    def _facet_arms(self, request: SearchRequest) -> list[str]:
        # Each match counts its weight: 1, or in a full window the share of the index it stands
        # for; whole numbers either way, so exact counts stay exact.
        n = "CAST(round(sum(w)) AS BIGINT)"
        arms = [f"SELECT 'type', doc_type, {n}, NULL, NULL FROM hits GROUP BY doc_type"]
        if request.window is not None:
            arms.append("SELECT '@window', NULL, n, NULL, NULL FROM stats")
        if not request.facets:
            return arms  # the type counts still give the total
        arms += [f"SELECT '{c}', {c}, {n}, NULL, NULL FROM hits WHERE {c} IS NOT NULL "
                 f"GROUP BY {c}" for c in COLUMN_FACETS if c != "type"]
        arms.append(f"SELECT 'event_type', e.value, {n}, NULL, NULL FROM hits "
                    f"{self._unnest_events} GROUP BY e.value")
        if request.histogram:
            bucket = self._bucket(request.histogram)
            arms.append(f"SELECT '@histogram', {bucket}, {n}, NULL, NULL FROM hits WHERE "
                        f"doc_type = 'news' AND published_at IS NOT NULL GROUP BY {bucket}")
        return arms

    async def _fetch(self, conn: Any, pks: list[int]) -> dict[int, Any]:
        if not pks:
            return {}
        p = Params()
        sql = (f"SELECT pk, {', '.join(DOC_COLUMNS)} FROM search_documents "
               f"WHERE pk IN ({p.many(pks)})")
        return {row["pk"]: row for row in (await conn.execute(sa.text(sql), p.values)).mappings()}

    def _bucket(self, interval: str) -> str:
        if interval == "month":
            return self._month_bucket()
        width = _HISTOGRAM_SECONDS[interval]
        offset = _MONDAY_1970 if interval == "week" else 0
        return (f"CAST(((published_at - {offset}) / {width}) * {width} + {offset} AS TEXT)")

    # -- suggest -----------------------------------------------------------------------------
    async def _suggest_candidates(self, conn: Any, text: str) -> Sequence[Any]:
        raise NotImplementedError

    async def suggest(self, text: str, *, limit: int = 10) -> list[Suggestion]:
        from stockflow.search.query import sanitise

        typed = " ".join(sanitise(text).split())[:64]
        if not typed:
            return []
        async with self.db.engine.connect() as conn:
            return await self._suggest(conn, typed, max(1, limit))

    async def _suggest(self, conn: Any, typed: str, limit: int) -> list[Suggestion]:
        """Engine hook: one candidate query, re-ranked by the shared match score."""
        return rank_suggestions(typed, await self._suggest_candidates(conn, typed), limit)


async def _pks(conn: Any, table: str, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        p = Params()
        rows = await conn.execute(
            sa.text(f"SELECT key, pk FROM {table} WHERE key IN ({p.many(chunk)})"), p.values)
        found.update({k: pk for k, pk in rows})
    return found
