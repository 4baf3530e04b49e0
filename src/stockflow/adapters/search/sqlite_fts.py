"""SearchIndex on SQLite FTS5: BM25 ranking, trigram suggestions, on the shared SqlDatabase.

The query AST is rendered as an FTS5 expression in which every term is a double-quoted string
(quotes doubled), so no operator, column filter or `NEAR(` a user types is ever read as syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from stockflow.adapters.search.sqlbase import (
    SUGGEST_CANDIDATES,
    SqlSearchBase,
)
from stockflow.adapters.search.sqlparts import Params, TextMatch, tag_filters
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core.ports import Database
from stockflow.search.domain import SearchDocument, SearchRequest
from stockflow.search.query import Clause, ParsedQuery
from stockflow.search.text import index_text, typo_pieces

# Title and keywords (tickers, aliases) weigh ten times the body in BM25, as a boosted title
# field would in OpenSearch.
BM25_WEIGHTS = "10.0, 10.0, 1.0"
# ANALYZE on an index of mostly news rates the type index useless for the few other documents
# and would scan the table instead.
_BY_TYPE = "search_documents d INDEXED BY ix_search_documents_type_published"
# Up to this many tagged documents a tag filter is a set the text matches are checked against
# (built once, about a microsecond a document); above it, each match probes the tag index, which
# costs more per match (its document row is read first) but nothing up front. Ten windows.
SMALL_TAG_SET = 20_000
# The window's documents are read from their covering index (tables.py, WINDOW_COLUMNS): given
# the choice SQLite looks each match up by rowid in the table, whose rows hold the bodies (about
# five a page), so each of 2,000 matches is a page read; the index holds fifty a page.
_WINDOW_DOCS = "search_documents d INDEXED BY ix_search_documents_window"
# The search connection's page cache, in KiB (SQLite's default is 2 MiB): large enough to keep
# the index pages of recent matches, which every broad search's window reads, between searches.
SEARCH_CACHE_KIB = 65_536
_SYMBOL_COLUMNS = "s.key, s.ticker, s.name, s.aliases, s.exchange, s.asset_class, s.popularity"


def fts_string(text: str) -> str:
    """One FTS5 string literal: a phrase of whatever tokens `text` holds, never an operator."""
    return '"' + text.replace('"', '""') + '"'


def _clause(clause: Clause) -> str:
    terms = [fts_string(index_text(t.text)) for t in clause.terms]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def render_fts5(query: ParsedQuery) -> tuple[str | None, str | None]:
    """(positive expression, negative expression) of a parsed query; None where it has none."""
    positive = " AND ".join(_clause(c) for c in query.positive) or None
    negative = " OR ".join(_clause(c) for c in query.negative) or None
    return positive, negative


def _next_char(ch: str) -> str:
    """The smallest string above every string starting with `ch` (code-point order)."""
    code = ord(ch) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be encoded; skip past them
        code = 0xE000
    return chr(code) if code <= 0x10FFFF else ch + "\U0010ffff"


class SqliteSearchIndex(SqlSearchBase):
    """FTS5 tables next to the portable ones, in the same SQLite file as the rest of StockFlow."""

    dialect = "sqlite"
    _unnest_events = ", json_each(hits.event_types) AS e"

    def __init__(self, database: SqlDatabase) -> None:
        if database.dialect != "sqlite":
            raise ValueError("SqliteSearchIndex needs a sqlite:// database")
        super().__init__(database)

    def _optimize_sql(self) -> list[str]:
        # One b-tree per FTS table instead of the segments many small upserts leave behind.
        return ["INSERT INTO search_fts(search_fts) VALUES ('optimize')",
                "INSERT INTO search_symbols_fts(search_symbols_fts) VALUES ('optimize')",
                "ANALYZE"]

    async def _write_text(self, conn: Any, docs: list[tuple[int, SearchDocument]]) -> None:
        await self._delete_text(conn, [pk for pk, _ in docs])
        rows = [{"pk": pk, "title": index_text(d.title), "keywords": index_text(" ; ".join(
            d.keywords)), "body": index_text(d.body)} for pk, d in docs]
        await conn.execute(sa.text("INSERT INTO search_fts (rowid, title, keywords, body) "
                                   "VALUES (:pk, :title, :keywords, :body)"), rows)

    async def _delete_text(self, conn: Any, pks: list[int]) -> None:
        if pks:
            await conn.execute(sa.text("DELETE FROM search_fts WHERE rowid = :pk"),
                               [{"pk": pk} for pk in pks])

    async def _write_symbols(self, conn: Any, rows: list[tuple[int, str]]) -> None:
        params = [{"pk": pk, "text": text} for pk, text in rows]
        await conn.execute(sa.text("DELETE FROM search_symbols_fts WHERE rowid = :pk"), params)
        await conn.execute(sa.text("INSERT INTO search_symbols_fts (rowid, match_text) "
                                   "VALUES (:pk, :text)"), params)

    def _text_match(self, request: SearchRequest, p: Params) -> TextMatch:
        positive, negative = render_fts5(request.query)
        if positive is None:
            match = TextMatch(by_type=_BY_TYPE)
            if negative is not None:
                match.where.append("d.pk NOT IN (SELECT rowid FROM search_fts WHERE search_fts "
                                   f"MATCH {p.one(negative)})")
            return match
        expression = positive if negative is None else f"({positive}) NOT ({negative})"
        # CROSS JOIN makes SQLite drive from the full-text index: given a choice it may scan a
        # filter's index instead and re-run the MATCH for every row (60 ms instead of 5 at 10k).
        # FTS5 returns matches in descending rowid order and stops at a window's LIMIT, so
        # bm25() is computed for the window's rows only.
        return TextMatch(
            from_=f"search_fts CROSS JOIN {_WINDOW_DOCS} ON d.pk = search_fts.rowid",
            where=[f"search_fts MATCH {p.one(expression)}"],
            score=f"(-bm25(search_fts, {BM25_WEIGHTS}) * (1 + d.boost))",
            order="search_fts.rowid",
            by_type=f"{_BY_TYPE} CROSS JOIN search_fts ON search_fts.rowid = d.pk",
            pk="+search_fts.rowid")

    async def _begin_search(self, conn: Any) -> None:
        # per connection, and only pages actually read count against it
        await conn.exec_driver_sql(f"PRAGMA cache_size = -{SEARCH_CACHE_KIB}")

    async def _small_tag_sets(self, conn: Any, request: SearchRequest
                              ) -> frozenset[tuple[str, tuple[str, ...]]]:
        small = set()
        for name, values in tag_filters(request):
            p = Params()
            sql = (f"SELECT count(*) FROM (SELECT 1 FROM search_tags WHERE field = {p.one(name)} "
                   f"AND value IN ({p.many(values)}) LIMIT {SMALL_TAG_SET + 1})")
            if (await conn.execute(sa.text(sql), p.values)).scalar_one() <= SMALL_TAG_SET:
                small.add((name, values))
        return frozenset(small)

    def _month_bucket(self) -> str:
        return "strftime('%Y-%m-01', published_at, 'unixepoch')"

    async def _suggest_candidates(self, conn: Any, text: str) -> Sequence[Any]:
        q = text.lower()
        upper = q[:-1] + _next_char(q[-1])
        rows: list[Any] = []
        for column in ("ticker_lc", "name_lc"):
            # A code-point range is the index-friendly prefix test (LIKE would ignore the index).
            sql = (f"SELECT {_SYMBOL_COLUMNS} FROM search_symbols s WHERE s.{column} >= :lo "
                   f"AND s.{column} < :hi ORDER BY s.popularity DESC LIMIT 50")
            rows += (await conn.execute(sa.text(sql), {"lo": q, "hi": upper})).all()
        pieces = typo_pieces(q)
        if pieces:
            expression = " OR ".join(fts_string(g) for g in pieces)
            sql = (f"SELECT {_SYMBOL_COLUMNS} FROM search_symbols_fts JOIN search_symbols s "
                   "ON s.pk = search_symbols_fts.rowid WHERE search_symbols_fts MATCH :m "
                   "ORDER BY search_symbols_fts.rank "
                   f"LIMIT {SUGGEST_CANDIDATES}")
            rows += (await conn.execute(sa.text(sql), {"m": expression})).all()
        return rows


def make_index(_url: str, *, database: Database) -> SqliteSearchIndex:
    """Registry factory for sqlite:// storage: the index lives in that database."""
    return SqliteSearchIndex(database)
