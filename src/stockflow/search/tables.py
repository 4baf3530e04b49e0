"""The search context's portable tables (SQLAlchemy Core). Engine-specific parts, the FTS5
virtual tables and PostgreSQL's tsvector column, GIN and trigram indexes, are created by the
adapters in stockflow.adapters.search on top of these.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

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
    sa.Index("ix_search_documents_source", "source"),
    sa.Index("ix_search_documents_sector", "sector"),
)

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
