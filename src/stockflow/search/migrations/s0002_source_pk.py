"""Search: the source index also orders by pk, so a source-filtered window reads only that
source's rows, newest first (PostgreSQL; on SQLite an index on source already ends in the rowid).

Revision ID: s0002_source_pk
Revises: s0001_search
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "s0002_source_pk"
down_revision = "s0001_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_documents_source_pk", "search_documents", ["source", "pk"])
    op.drop_index("ix_search_documents_source", table_name="search_documents")


def downgrade() -> None:
    op.create_index("ix_search_documents_source", "search_documents", ["source"])
    op.drop_index("ix_search_documents_source_pk", table_name="search_documents")
