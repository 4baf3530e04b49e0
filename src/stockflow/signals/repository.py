"""The signal engine's stores in SQL (SQLite and PostgreSQL), through the Database port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.core.ports import Database
from stockflow.signals.domain import Sentiment
from stockflow.signals.tables import sentiment, state, strategies


class _Sql:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(table)


class SqlStrategyStore(_Sql):
    async def add(self, owner_id: str, strategy_id: str, doc: dict[str, Any],
                  at: datetime) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(strategies.insert().values(
                id=strategy_id, owner_id=owner_id, name=doc["name"], document=doc, created_at=at))

    async def get(self, owner_id: str, strategy_id: str) -> dict[str, Any] | None:
        c = strategies.c
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.select(strategies).where(
                c.id == strategy_id, c.owner_id == owner_id))).first()
        return _strategy(row) if row else None

    async def list(self, owner_id: str) -> list[dict[str, Any]]:
        c = strategies.c
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(sa.select(strategies).where(c.owner_id == owner_id)
                                      .order_by(c.created_at, c.id))
            return [_strategy(r) for r in rows]

    async def count(self, owner_id: str) -> int:
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(strategies)
                                           .where(strategies.c.owner_id == owner_id))).scalar())

    async def delete(self, owner_id: str, strategy_id: str) -> bool:
        c = strategies.c
        async with self.db.engine.begin() as conn:
            done = await conn.execute(strategies.delete().where(
                c.id == strategy_id, c.owner_id == owner_id))
        return done.rowcount > 0


def _strategy(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "document": row.document,
            "created_at": row.created_at.isoformat()}


class SqlSignalState(_Sql):
    async def last(self, ticker: str, interval: str) -> dict[str, tuple[str, datetime]]:
        c = state.c
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(sa.select(c.strategy, c.action, c.bar_time).where(
                c.ticker == ticker, c.interval == interval))
            return {r.strategy: (r.action, r.bar_time) for r in rows}

    async def advance(self, ticker: str, interval: str,
                      rows: Sequence[tuple[str, str, datetime]]) -> None:
        """Record announced signals; a row only moves forward in bar time, so a member that
        handles an older bar late cannot overwrite a newer one."""
        if not rows:
            return
        stmt = self._insert(state)
        stmt = stmt.on_conflict_do_update(
            index_elements=[state.c.ticker, state.c.interval, state.c.strategy],
            set_={"action": stmt.excluded.action, "bar_time": stmt.excluded.bar_time},
            where=state.c.bar_time < stmt.excluded.bar_time)
        async with self.db.engine.begin() as conn:
            await conn.execute(stmt, [{"ticker": ticker, "interval": interval, "strategy": s,
                                       "action": a, "bar_time": t} for s, a, t in rows])


class SqlSentimentStore(_Sql):
    async def add(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            async with self.db.engine.begin() as conn:
                await conn.execute(self._insert(sentiment).on_conflict_do_nothing(), list(rows))

    async def between(self, ticker: str, start: datetime, end: datetime) -> Sentiment:
        c = sentiment.c
        stmt = (sa.select(c.at, c.score, c.confidence)
                .where(c.ticker == ticker, c.at >= start, c.at < end).order_by(c.at))
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        if not rows:
            return Sentiment.empty()
        return Sentiment(np.array([r.at.replace(tzinfo=None) for r in rows],
                                  dtype="datetime64[us]"),
                         np.array([r.score for r in rows]), np.array([r.confidence for r in rows]))
