"""The search context's tables on the shared metadata, and the engine DDL beside them.

The portable tables are SQLAlchemy Core. What Alembic cannot describe, SQLite's FTS5 virtual
tables (and the shadow tables FTS5 makes for each) and PostgreSQL's tsvector column, GIN,
pattern and trigram indexes and text search configuration, is raw DDL: the search migration
runs it (migrations/s0001_search.py), `SearchIndex.ensure_schema()` runs the same statements for
an index kept outside the migrated database, and `ENGINE_MANAGED` names every object it makes,
so the schema test leaves exactly those out of the metadata comparison and checks they exist.
"""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import metadata

documents = sa.Table(
    "search_documents", metadata,
    # An integer key the FTS5 table shares as its rowid; `key` (type:id) is the public one.
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("doc_type", sa.Text, nullable=False),
    sa.Column("doc_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("keywords", sa.Text, nullable=False, server_default=""),  # "\x1f"-joined
    sa.Column("tickers", sa.Text, nullable=False, server_default=""),   # space-joined
    sa.Column("event_types", sa.Text, nullable=False, server_default="[]"),  # JSON array
    sa.Column("sector", sa.Text), sa.Column("industry", sa.Text), sa.Column("exchange", sa.Text),
    sa.Column("asset_class", sa.Text), sa.Column("country", sa.Text), sa.Column("source", sa.Text),
    sa.Column("lang", sa.Text), sa.Column("sentiment", sa.Text),
    sa.Column("published_at", sa.BigInteger),  # epoch seconds: histogram buckets are arithmetic
    sa.Column("story_key", sa.Text, nullable=False),  # story id, or the key when it has none
    sa.Column("url", sa.Text),
    sa.Column("boost", sa.Float, nullable=False, server_default="0"),
    sa.Index("ix_search_documents_type_published", "doc_type", "published_at"),
    # (source, pk): a `source:` search's window, the newest matches, is read backwards from
    # the filter's own rows on PostgreSQL instead of from every row of the primary key.
    sa.Index("ix_search_documents_source_pk", "source", "pk"),
    sa.Index("ix_search_documents_sector", "sector"),
)

# Every column a search reads of its window's documents (filters, facets, score, story), by pk:
# FTS5 reads the window from this narrow index instead of the documents' rows with their bodies,
# so the pages of recent matches stay in the connection's cache. SQLite only (its window is a
# join by rowid); PostgreSQL reads its window from the table it ranks.
WINDOW_COLUMNS = ("pk", "doc_type", "published_at", "boost", "source", "lang", "sentiment",
                  "sector", "industry", "exchange", "asset_class", "country", "story_key", "key",
                  "event_types")
sa.Index("ix_search_documents_window", *(documents.c[c] for c in WINDOW_COLUMNS)
         ).ddl_if(dialect="sqlite")

tags = sa.Table(
    "search_tags", metadata,
    sa.Column("field", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("pk", sa.Integer, sa.ForeignKey("search_documents.pk", ondelete="CASCADE"),
              primary_key=True),
    # (pk, field, value): the facet join looks tags up by document and reads them from the index
    sa.Index("ix_search_tags_pk", "pk", "field", "value"),
)

symbols = sa.Table(
    "search_symbols", metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("ticker", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("aliases", sa.Text, nullable=False, server_default=""),  # "\x1f"-joined
    sa.Column("ticker_lc", sa.Text, nullable=False),
    sa.Column("name_lc", sa.Text, nullable=False),
    sa.Column("match_text", sa.Text, nullable=False),  # lower-case ticker, name and aliases
    sa.Column("exchange", sa.Text), sa.Column("asset_class", sa.Text),
    sa.Column("popularity", sa.Float, nullable=False, server_default="0"),
    sa.Index("ix_search_symbols_ticker_lc", "ticker_lc"),
    sa.Index("ix_search_symbols_name_lc", "name_lc"),
)

reindex_state = sa.Table(
    "search_reindex_state", metadata,
    sa.Column("doc_type", sa.Text, primary_key=True),
    sa.Column("last_id", sa.Text),
    sa.Column("done", sa.BigInteger, nullable=False, server_default="0"),
)

# Sentiment labels that arrived before their article: applied when the article is indexed.
pending_labels = sa.Table(
    "search_pending_labels", metadata,
    sa.Column("article_id", sa.Text, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("noted_at", sa.BigInteger, nullable=False),  # epoch seconds, for the clean-up
)

TABLES = (documents, tags, symbols, reindex_state, pending_labels)

SQLITE_DDL = (
    ("CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, keywords, body, tokenize = 'porter unicode61 remove_diacritics 2')"),
    ("CREATE VIRTUAL TABLE IF NOT EXISTS search_symbols_fts USING fts5("
    "match_text, tokenize = 'trigram')"),
    # also declared above, for the schema comparison; here so that ensure_schema() adds it to
    # an index database made before it (create_all leaves an existing table's indexes alone)
    (f"CREATE INDEX IF NOT EXISTS ix_search_documents_window ON search_documents "
     f"({', '.join(WINDOW_COLUMNS)})"),
)

# English stemming without the stop-word list: "AT&T", "-again" or "the who" must still match and
# exclude as they do on FTS5 (porter keeps every word). One per schema.
PG_CONFIG = "stockflow_english"
PG_CONFIG_DDL = (
    f"CREATE TEXT SEARCH DICTIONARY {PG_CONFIG}_stem (TEMPLATE = snowball, Language = english)",
    f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = english)",
    (f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR asciiword, asciihword, "
    f"hword_asciipart, word, hword, hword_part WITH {PG_CONFIG}_stem"),
)
POSTGRES_DDL = (
    "ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS tsv tsvector",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_tsv ON search_documents USING gin (tsv)",
    ("CREATE INDEX IF NOT EXISTS ix_search_symbols_ticker_pat "
    "ON search_symbols (ticker_lc text_pattern_ops)"),
    ("CREATE INDEX IF NOT EXISTS ix_search_symbols_name_pat "
    "ON search_symbols (name_lc text_pattern_ops)"),
)
PG_TRGM_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"


_TRGM_SCHEMA = ("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")


def pg_trgm_schema(conn: sa.Connection) -> str | None:
    """The schema pg_trgm is installed in (its operators are qualified by it), or None."""
    return conn.exec_driver_sql(_TRGM_SCHEMA).scalar_one_or_none()


def create_engine_objects(conn: sa.Connection) -> str | None:
    """Run the engine DDL on a connection whose portable tables exist; safe to repeat.
    Returns, on PostgreSQL, why suggestions lack typo tolerance (pg_trgm missing), else None."""
    if conn.dialect.name != "postgresql":
        for statement in SQLITE_DDL:
            conn.exec_driver_sql(statement)
        return None
    problem = None
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(PG_TRGM_EXTENSION)
    except sa.exc.DBAPIError as exc:  # no privilege, or not installed on the server
        problem = str(exc.orig)
    # One creator at a time: the configuration has no IF NOT EXISTS.
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('search_config'))")
    exists = conn.execute(sa.text(
        "SELECT 1 FROM pg_ts_config WHERE cfgname = :name AND cfgnamespace = "
        "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"), {"name": PG_CONFIG})
    if exists.first() is None:
        for statement in PG_CONFIG_DDL:
            conn.exec_driver_sql(statement)
    for statement in POSTGRES_DDL:
        conn.exec_driver_sql(statement)
    schema = pg_trgm_schema(conn)
    if schema is not None:
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_search_symbols_trgm ON search_symbols "
                             f'USING gin (match_text "{schema}".gin_trgm_ops)')
    return problem


_FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")
# dialect -> kind -> names of objects the raw DDL above creates (and Alembic cannot describe).
ENGINE_MANAGED: dict[str, dict[str, tuple[str, ...]]] = {
    "sqlite": {"table": tuple(f"{t}{s}" for t in ("search_fts", "search_symbols_fts")
                              for s in ("", *(f"_{x}" for x in _FTS5_SHADOWS)))},
    "postgresql": {"column": ("search_documents.tsv",),
                   "index": ("ix_search_documents_tsv", "ix_search_symbols_ticker_pat",
                             "ix_search_symbols_name_pat", "ix_search_symbols_trgm")},
}
