"""Controller storage: shared operational settings (maintenance) and diagnostic snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.control.tables import settings_kv, snapshots
from stockflow.core.ports import Database


class SqlControlStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_setting(self, key: str) -> dict[str, Any] | None:
        stmt = sa.select(settings_kv.c.value).where(settings_kv.c.key == key)
        async with self.db.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def put_setting(self, key: str, value: dict[str, Any], at: datetime) -> None:
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        stmt = insert(settings_kv).values(key=key, value=value, updated_at=at)
        stmt = stmt.on_conflict_do_update(index_elements=[settings_kv.c.key],
                                          set_={"value": value, "updated_at": at})
        async with self.db.engine.begin() as conn:
            await conn.execute(stmt)

    async def save_snapshot(self, id_: str, at: datetime, reason: str,
                            data: dict[str, Any]) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(snapshots.insert().values(id=id_, time=at, reason=reason,
                                                         data=data))

    async def list_snapshots(self, limit: int = 50,
                             before: datetime | None = None) -> list[dict[str, Any]]:
        stmt = (sa.select(snapshots.c.id, snapshots.c.time, snapshots.c.reason)
                .order_by(snapshots.c.time.desc(), snapshots.c.id.desc()).limit(limit))
        if before is not None:
            stmt = stmt.where(snapshots.c.time < before)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [{"id": r.id, "time": r.time.isoformat(), "reason": r.reason} for r in rows]

    async def get_snapshot(self, id_: str) -> dict[str, Any] | None:
        stmt = sa.select(snapshots.c.id, snapshots.c.time, snapshots.c.reason,
                         snapshots.c.data).where(snapshots.c.id == id_)
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(stmt)).one_or_none()
        if row is None:
            return None
        return {"id": row.id, "time": row.time.isoformat(), "reason": row.reason,
                "data": row.data}
