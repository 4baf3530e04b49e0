"""The context's tables, on the shared metadata; its own migrations (migrations/) create them."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import metadata

template_tallies = sa.Table(
    "template_tallies",
    metadata,
    sa.Column("ticker", sa.String(32), primary_key=True),
    sa.Column("updates", sa.BigInteger, nullable=False),
)
