"""Search: on SQLite, a covering index of the columns a search reads of its window's documents,
so the window is read from it rather than from the documents' rows (tables.py, WINDOW_COLUMNS).

Revision ID: s0003_window_index
Revises: s0002_source_pk
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "s0003_window_index"
down_revision = "s0002_source_pk"
branch_labels = None
depends_on = None

# Frozen copy of tables.WINDOW_COLUMNS as of this revision.
_COLUMNS = ["pk", "doc_type", "published_at", "boost", "source", "lang", "sentiment", "sector",
            "industry", "exchange", "asset_class", "country", "story_key", "key", "event_types"]


def upgrade() -> None:
    # IF NOT EXISTS: s0001 runs the current engine DDL, which makes this index on a new database
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_search_documents_window ON "
                             f"search_documents ({', '.join(_COLUMNS)})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_search_documents_window", table_name="search_documents")
