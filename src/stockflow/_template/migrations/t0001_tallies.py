"""Template: tallies of quote updates per ticker.

Revision ID: t0001_tallies
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0001_tallies"
down_revision = None
branch_labels = ("template",)
depends_on = "0004_control"


def upgrade() -> None:
    op.create_table(
        "template_tallies",
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("updates", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("template_tallies")
