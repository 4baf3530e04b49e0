"""The `processed_events` table of the SQL IdempotencyStore, on the storage schema's metadata.

Migration 0005_idempotency creates it; the contract suite checks that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.sql import UtcDateTime, metadata

CLAIMED = "claimed"
DONE = "done"

# One row per (consumer, event id). A claimed row is leased to `owner` until `lease_until`;
# a done row has no lease. Every row is forgotten at `expires_at` (the retention), which the
# index serves when expired rows are purged.
processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("consumer", sa.String(128), primary_key=True),
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("state", sa.String(8), nullable=False),  # claimed, done
    sa.Column("owner", sa.String(160), nullable=False),
    sa.Column("lease_until", UtcDateTime),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)
sa.Index("ix_processed_events_expires_at", processed_events.c.expires_at)
