"""SearchIndex on PostgreSQL full text: a weighted tsvector with a GIN index, ranked by
ts_rank_cd, and pg_trgm word similarity for suggestions, on the shared SqlDatabase.

Every term reaches PostgreSQL as a bound parameter of phraseto_tsquery(), which reads any text as
plain words; the AST's AND / OR / NOT become the tsquery operators && || !! around those calls,
so no user text is ever parsed as tsquery syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import structlog

from stockflow.adapters.search.rows import rank_suggestions
from stockflow.adapters.search.sqlbase import (
    DOC_COLUMNS,
    SUGGEST_CANDIDATES,
    SqlSearchBase,
)
from stockflow.adapters.search.sqlparts import Params, TextMatch
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.core.ports import Database
from stockflow.search.domain import SearchDocument, SearchRequest, Suggestion
from stockflow.search.query import Clause, ParsedQuery
from stockflow.search.tables import PG_CONFIG, pg_trgm_schema
from stockflow.search.text import ONE_TYPO, index_text

log = structlog.get_logger(__name__)

CONFIG = PG_CONFIG
# Cover density (proximity of the matched words) with normalisation 1, rank / (1 + log(length)),
# which damps long bodies the way BM25's length term does; title and keywords weigh A, body C.
RANK = "ts_rank_cd(d.tsv, {q}, 1)"
# pg_trgm's default word-similarity threshold (0.6) misses two-typo names; the re-ranking in
# Python decides what is shown, so the index may cast a wider net.
WORD_SIMILARITY_THRESHOLD = 0.4
# Asked first: names this close to a short input are few, and a one-typo name usually is one.
# When they fill the list with one-typo (or better) matches no two-typo name could enter it, and
# the wide query, which rechecks every name sharing three of a short input's trigrams (8-10 k at
# 100 k generated symbols), is skipped.
CLOSE_SIMILARITY_THRESHOLD = 0.6
PREFIX_CANDIDATES = 50  # per prefix arm: ticker, name, any word, most popular first
_TSV = (f"setweight(to_tsvector('{CONFIG}', :ix_title), 'A') || "
        f"setweight(to_tsvector('{CONFIG}', :ix_keywords), 'A') || "
        f"setweight(to_tsvector('{CONFIG}', :ix_body), 'C')")
_SYMBOL_COLUMNS = "key, ticker, name, aliases, exchange, asset_class, popularity"


def _tsquery(clause: Clause, p: Params) -> str:
    parts = [f"phraseto_tsquery('{CONFIG}', {p.one(index_text(t.text))})" for t in clause.terms]
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


def render_tsquery(query: ParsedQuery, p: Params) -> tuple[str | None, str | None]:
    """(positive, negative) tsquery SQL expressions over bound parameters; None where absent."""
    positive = " && ".join(_tsquery(c, p) for c in query.positive) or None
    negative = " || ".join(_tsquery(c, p) for c in query.negative) or None
    return positive, negative


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _word_prefix_regex(text: str) -> str:
    """A regular expression for `text` at the start of a word; every ASCII character that is not
    a letter or digit is escaped (in PostgreSQL's regexes a backslash before one is literal)."""
    body = "".join(f"\\{ch}" if ch.isascii() and not ch.isalnum() else ch for ch in text)
    return f"(^| ){body}"


class PostgresSearchIndex(SqlSearchBase):
    """Full text in the search tables themselves; pg_trgm where the extension can be created."""

    dialect = "postgresql"
    _unnest_events = ("CROSS JOIN LATERAL jsonb_array_elements_text(hits.event_types::jsonb) "
                      "AS e(value)")

    def __init__(self, database: SqlDatabase) -> None:
        if database.dialect != "postgresql":
            raise ValueError("PostgresSearchIndex needs a postgresql:// database")
        super().__init__(database)
        self._trgm_schema: str | None = None
        self._trgm_checked = False

    @property
    def typo_tolerant(self) -> bool:
        """False when pg_trgm is missing: suggestions then match by prefix only."""
        return self._trgm_schema is not None

    async def ensure_schema(self) -> None:
        problem = await super().ensure_schema()
        if problem is not None:
            log.warning("search.pg_trgm_unavailable", error=problem,
                        effect="suggestions match by prefix only, without typo tolerance")
        await self._find_trgm()

    async def prepare(self) -> None:
        """At start, on a migrated database: learn whether suggestions are typo tolerant."""
        await self._find_trgm()

    async def _find_trgm(self) -> str | None:
        async with self.db.engine.connect() as conn:
            self._trgm_schema = await conn.run_sync(pg_trgm_schema)
        self._trgm_checked = True
        return self._trgm_schema

    def _optimize_sql(self) -> list[str]:
        return ["ANALYZE search_documents", "ANALYZE search_symbols", "ANALYZE search_tags"]

    def _insert_values(self) -> tuple[str, list[str]]:
        values = ", ".join(f":{c}" for c in DOC_COLUMNS) + f", {_TSV}"
        return values, [*DOC_COLUMNS, "tsv"]

    def _extra_updates(self) -> str:
        return ", tsv = excluded.tsv"

    def _row_extra(self, doc: SearchDocument) -> dict[str, Any]:
        return {"ix_title": index_text(doc.title),
                "ix_keywords": index_text(" ; ".join(doc.keywords)),
                "ix_body": index_text(doc.body)}

    def _text_match(self, request: SearchRequest, p: Params) -> TextMatch:
        positive, negative = render_tsquery(request.query, p)
        if positive is None:
            match = TextMatch()
            if negative is not None:
                match.where.append(f"NOT (d.tsv @@ ({negative}))")
            return match
        expression = positive if negative is None else f"({positive}) && !!({negative})"
        return TextMatch(where=[f"d.tsv @@ ({expression})"],
                         score=f"({RANK.format(q=f'({expression})')} * (1 + d.boost))")

    async def _begin_search(self, conn: Any) -> None:
        # The statement's text is the same for every query of one shape, so the driver's
        # prepared statement gets PostgreSQL's generic plan after five runs, chosen without the
        # words and filter values: at 1 M documents it read the whole primary key backwards for
        # `word source:x` (p50 1,048 ms against 124-144 ms planned per query). This
        # transaction only.
        await conn.execute(sa.text(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"))

    def _month_bucket(self) -> str:
        return "to_char(to_timestamp(published_at) AT TIME ZONE 'UTC', 'YYYY-MM-01')"

    async def _suggest(self, conn: Any, typed: str, limit: int) -> list[Suggestion]:
        """Prefixes first, in one statement; the trigram queries only if they leave room.

        A ticker, name or word prefix scores above any typo, so once `limit` of them are found
        typo candidates cannot change the list, and the trigram query (which scores every
        name sharing enough trigrams: most of the cost) is skipped. Otherwise the close names
        are asked first, and the wide query only if they leave room for a two-typo match."""
        if not self._trgm_checked:
            await self._find_trgm()
        q = typed.lower()
        rows = list(await self._prefix_candidates(conn, q))
        ranked = rank_suggestions(typed, rows, limit)
        if (len(ranked) >= limit and ranked[-1].score > ONE_TYPO) or not self._trigrams_usable(q):
            return ranked
        rows += await self._typo_candidates(conn, q, CLOSE_SIMILARITY_THRESHOLD)
        ranked = rank_suggestions(typed, rows, limit)
        if len(ranked) >= limit and ranked[-1].score >= ONE_TYPO:
            return ranked
        rows += await self._typo_candidates(conn, q, WORD_SIMILARITY_THRESHOLD)
        return rank_suggestions(typed, rows, limit)

    def _trigrams_usable(self, q: str) -> bool:
        return self._trgm_schema is not None and len(q) >= 3

    async def _prefix_candidates(self, conn: Any, q: str) -> Sequence[Any]:
        arms = [f"(SELECT {_SYMBOL_COLUMNS} FROM search_symbols WHERE {column} LIKE :pat "
                f"ESCAPE '\\' ORDER BY popularity DESC LIMIT {PREFIX_CANDIDATES})"
                for column in ("ticker_lc", "name_lc")]
        if self._trigrams_usable(q):
            # Any word of the name or an alias. The trigram index reads the pattern's word-start
            # trigrams ("  n", " no"), which LIKE '%novat%' cannot use: 1,400 rows to recheck
            # instead of 2,700 for "novat" at 100k generated symbols.
            arms.append(f"(SELECT {_SYMBOL_COLUMNS} FROM search_symbols WHERE match_text ~ :word "
                        f"ORDER BY popularity DESC LIMIT {PREFIX_CANDIDATES})")
        sql = " UNION ALL ".join(arms)
        return (await conn.execute(sa.text(sql), {"pat": _like_prefix(q),
                                                  "word": _word_prefix_regex(q)})).all()

    async def _typo_candidates(self, conn: Any, q: str, threshold: float) -> list[Any]:
        schema = f'"{self._trgm_schema}"'
        # The planner prices word_similarity as cheap and picks a sequential scan that costs
        # 180 ms at 20k symbols against 3 ms through the trigram index; this transaction only.
        await conn.execute(sa.text(
            "SELECT set_config('pg_trgm.word_similarity_threshold', :t, true), "
            "set_config('enable_seqscan', 'off', true)"),
            {"t": str(threshold)})
        sql = (f"SELECT {_SYMBOL_COLUMNS} FROM search_symbols "
               f"WHERE match_text OPERATOR({schema}.%>) :q "
               f"ORDER BY {schema}.word_similarity(:q, match_text) DESC "
               f"LIMIT {SUGGEST_CANDIDATES}")
        return list((await conn.execute(sa.text(sql), {"q": q})).all())


def make_index(_url: str, *, database: Database) -> PostgresSearchIndex:
    """Registry factory for postgresql:// storage: the index lives in that database."""
    return PostgresSearchIndex(database)
