"""The DeliveryLog port in SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from stockflow.core.ports import Database
from stockflow.intel.tables import intel_deliveries as t


class SqlDeliveryLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def sent(self, delivery_id: str) -> bool:
        async with self.db.engine.connect() as conn:
            found = await conn.execute(sa.select(t.c.id).where(t.c.id == delivery_id))
            return found.first() is not None

    async def record(self, row: dict[str, Any]) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(t.insert().values(**row))

    async def of_user(self, user_id: str) -> list[dict[str, Any]]:
        stmt = sa.select(t).where(t.c.user_id == user_id).order_by(t.c.sent_at, t.c.id)
        async with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(stmt)]
