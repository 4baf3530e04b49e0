"""The TallyStore port in SQL (SQLite and PostgreSQL), through the small Database protocol."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow._template.domain import Tally
from stockflow._template.tables import template_tallies as t
from stockflow.core.ports import Database


class SqlTallyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, ticker: str, n: int = 1) -> None:
        async with self.db.engine.begin() as conn:
            updated = await conn.execute(
                t.update().where(t.c.ticker == ticker).values(updates=t.c.updates + n))
            if updated.rowcount == 0:
                await conn.execute(t.insert().values(ticker=ticker, updates=n))

    async def top(self, limit: int) -> list[Tally]:
        stmt = sa.select(t.c.ticker, t.c.updates).order_by(t.c.updates.desc(),
                                                            t.c.ticker).limit(limit)
        async with self.db.engine.connect() as conn:
            return [Tally(r.ticker, r.updates) for r in await conn.execute(stmt)]
