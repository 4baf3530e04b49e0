"""Predict: the daily batch's prediction documents.

Revision ID: p0001_predictions
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from stockflow.core.sql import Json, UtcDateTime

revision = "p0001_predictions"
down_revision = None
branch_labels = ("predict",)
depends_on = "0005_idempotency"


def upgrade() -> None:
    op.create_table(
        "predict_predictions",
        sa.Column("ticker", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("generated_at", UtcDateTime, primary_key=True),
        sa.Column("horizon", sa.SmallInteger, primary_key=True),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("lower", sa.Double, nullable=True),
        sa.Column("upper", sa.Double, nullable=True),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("features", Json, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("predict_predictions")
