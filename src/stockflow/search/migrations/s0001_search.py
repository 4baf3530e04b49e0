"""Search: documents, tags, suggest symbols, reindex checkpoints, early sentiment labels, and
each engine's full text.

Revision ID: s0001_search
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.search.tables import PG_CONFIG, create_engine_objects

revision = "s0001_search"
down_revision = None
branch_labels = ("search",)
depends_on = "0005_idempotency"

_T = sa.Text


def _tables() -> None:
    # Frozen copy of the portable tables as of this revision.
    op.create_table(
        "search_documents",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", _T, nullable=False, unique=True),
        *(sa.Column(n, _T, nullable=False) for n in ("doc_type", "doc_id", "title")),
        *(sa.Column(n, _T, nullable=False, server_default="") for n in ("body", "keywords",
                                                                        "tickers")),
        sa.Column("event_types", _T, nullable=False, server_default="[]"),
        *(sa.Column(n, _T) for n in ("sector", "industry", "exchange", "asset_class", "country",
                                      "source", "lang", "sentiment")),
        sa.Column("published_at", sa.BigInteger),
        sa.Column("story_key", _T, nullable=False), sa.Column("url", _T),
        sa.Column("boost", sa.Float, nullable=False, server_default="0"))
    op.create_index("ix_search_documents_type_published", "search_documents",
                    ["doc_type", "published_at"])
    op.create_index("ix_search_documents_source", "search_documents", ["source"])
    op.create_index("ix_search_documents_sector", "search_documents", ["sector"])
    op.create_table(
        "search_tags",
        sa.Column("field", _T, primary_key=True), sa.Column("value", _T, primary_key=True),
        sa.Column("pk", sa.Integer, sa.ForeignKey("search_documents.pk", ondelete="CASCADE"),
                  primary_key=True))
    op.create_index("ix_search_tags_pk", "search_tags", ["pk", "field", "value"])
    op.create_table(
        "search_symbols",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", _T, nullable=False, unique=True),
        *(sa.Column(n, _T, nullable=False) for n in ("ticker", "name")),
        sa.Column("aliases", _T, nullable=False, server_default=""),
        *(sa.Column(n, _T, nullable=False) for n in ("ticker_lc", "name_lc", "match_text")),
        sa.Column("exchange", _T), sa.Column("asset_class", _T),
        sa.Column("popularity", sa.Float, nullable=False, server_default="0"))
    op.create_index("ix_search_symbols_ticker_lc", "search_symbols", ["ticker_lc"])
    op.create_index("ix_search_symbols_name_lc", "search_symbols", ["name_lc"])
    op.create_table(
        "search_reindex_state",
        sa.Column("doc_type", _T, primary_key=True), sa.Column("last_id", _T),
        sa.Column("done", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "search_pending_labels",
        sa.Column("article_id", _T, primary_key=True), sa.Column("label", _T, nullable=False),
        sa.Column("noted_at", sa.BigInteger, nullable=False))


def upgrade() -> None:
    _tables()
    # FTS5 virtual tables / tsvector column, GIN, pattern and trigram indexes (tables.py).
    create_engine_objects(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("search_fts", "search_symbols_fts"):
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    for name in ("search_pending_labels", "search_reindex_state", "search_symbols", "search_tags", "search_documents"):
        op.drop_table(name)
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}")
        bind.exec_driver_sql(f"DROP TEXT SEARCH DICTIONARY IF EXISTS {PG_CONFIG}_stem")
