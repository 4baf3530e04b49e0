"""Users: each portfolio's base currency, the one its figures are converted into.

Revision ID: u0001_portfolio_currency
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "u0001_portfolio_currency"
down_revision = None
branch_labels = ("users",)
depends_on = "0003_users"


def upgrade() -> None:
    # Existing portfolios were priced in dollars by every figure they ever showed.
    with op.batch_alter_table("portfolios") as batch:
        batch.add_column(sa.Column("base_currency", sa.String(3), nullable=False,
                                   server_default="USD"))


def downgrade() -> None:
    with op.batch_alter_table("portfolios") as batch:
        batch.drop_column("base_currency")
