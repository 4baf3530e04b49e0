"""SQL for digests: the headlines the worker saw, each user's firings of a period, the users
who have somewhere to send to, and the record of each digest sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.alerts.tables import alert_channels, alert_digests, alert_history, alert_news, alerts
from stockflow.core.ports import Database


class SqlDigestStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(table)

    async def remember_news(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            async with self.db.engine.begin() as conn:
                await conn.execute(self._insert(alert_news).on_conflict_do_nothing(), rows)

    async def top_news(self, tickers: Sequence[str], since: datetime, limit: int
                       ) -> list[dict[str, Any]]:
        """The period's headlines of the tickers, the strongest sentiment first."""
        n = alert_news.c
        strength = sa.func.coalesce(sa.func.abs(n.sentiment), 0.0)
        stmt = (sa.select(alert_news).where(n.ticker.in_(list(tickers)), n.seen_at >= since)
                .order_by(strength.desc(), n.seen_at.desc()).limit(limit))
        async with self.db.engine.connect() as conn:
            return _dicts(await conn.execute(stmt))

    async def forget_news(self, before: datetime) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(alert_news.delete().where(alert_news.c.seen_at < before))

    async def users_with_channels(self) -> list[str]:
        stmt = (sa.select(alert_channels.c.user_id).where(alert_channels.c.enabled)
                .distinct().order_by(alert_channels.c.user_id))
        async with self.db.engine.connect() as conn:
            return list((await conn.execute(stmt)).scalars())

    async def fired(self, user_id: str, since: datetime, limit: int = 50) -> list[dict[str, Any]]:
        h = alert_history
        stmt = (sa.select(h.c.alert_id, alerts.c.name, alerts.c.key, alerts.c.condition_type,
                          h.c.value, h.c.triggered_at)
                .join(alerts, alerts.c.id == h.c.alert_id)
                .where(h.c.user_id == user_id, h.c.triggered_at >= since)
                .order_by(h.c.triggered_at.desc()).limit(limit))
        async with self.db.engine.connect() as conn:
            return _dicts(await conn.execute(stmt))

    async def sent(self, digest_id: str) -> bool:
        stmt = sa.select(alert_digests.c.id).where(alert_digests.c.id == digest_id)
        async with self.db.engine.connect() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def record(self, row: dict[str, Any]) -> bool:
        async with self.db.engine.begin() as conn:
            done = await conn.execute(self._insert(alert_digests).values(**row)
                                      .on_conflict_do_nothing())
            return done.rowcount == 1

    async def digests_of(self, user_id: str, limit: int = 20) -> list[dict[str, Any]]:
        d = alert_digests
        stmt = (sa.select(d).where(d.c.user_id == user_id).order_by(d.c.sent_at.desc())
                .limit(limit))
        async with self.db.engine.connect() as conn:
            return _dicts(await conn.execute(stmt))



def _dicts(result: Any) -> list[dict[str, Any]]:
    # Column names come back as sqlalchemy's quoted_name, a str subclass JSON encoders refuse.
    return [{str(k): v for k, v in r._mapping.items()} for r in result.all()]
