"""Alerts storage on SQL: the users' delivery channels, their targets and secrets sealed.

The base of `SqlAlertRepository` (alerts/repository.py), which adds rules, history and the
outbox; kept apart because sealing and its key rotation concern channels alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from stockflow.alerts.delivery import Channel, ChannelKind
from stockflow.alerts.sealing import ChannelCipher
from stockflow.alerts.tables import alert_channels
from stockflow.core.ports import Database


class SqlChannelRows:
    """`cipher` seals channel targets and secrets (alerts/sealing.py); the module sets it at
    start (`use_cipher`). Without one they are stored as given: tests and tools only."""

    def __init__(self, db: Database, cipher: ChannelCipher | None = None) -> None:
        self.db = db
        self.cipher = cipher

    def use_cipher(self, cipher: ChannelCipher) -> None:
        self.cipher = cipher

    def _seal(self, text: str) -> str:
        return text if self.cipher is None else self.cipher.seal(text)

    def _open(self, stored: str) -> str:
        return stored if self.cipher is None else self.cipher.open(stored)

    def _channel(self, row: Any) -> Channel:
        return Channel(id=row.id, user_id=row.user_id, kind=ChannelKind(row.kind),
                       target=self._open(row.target), verified=row.verified,
                       enabled=row.enabled, disabled_reason=row.disabled_reason,
                       secrets=tuple(self._open(x) for x in row.secrets))


    async def add_channel(self, channel: Channel) -> None:
        values = asdict(channel)
        values["kind"] = channel.kind.value
        values["target"] = self._seal(channel.target)
        values["secrets"] = [self._seal(x) for x in channel.secrets]
        async with self.db.engine.begin() as conn:
            await conn.execute(alert_channels.insert().values(**values))

    async def get_channels(self, channel_ids: Sequence[str]) -> dict[str, Channel]:
        if not channel_ids:
            return {}
        stmt = sa.select(alert_channels).where(alert_channels.c.id.in_(channel_ids))
        async with self.db.engine.connect() as conn:
            return {r.id: self._channel(r) for r in (await conn.execute(stmt)).all()}

    async def channel_kinds(self, channel_ids: Sequence[str]) -> dict[str, ChannelKind]:
        """The kind of each enabled channel among `channel_ids`: all a firing needs to write
        its deliveries, without opening the sealed targets and secrets."""
        if not channel_ids:
            return {}
        t = alert_channels
        stmt = sa.select(t.c.id, t.c.kind).where(t.c.id.in_(channel_ids), t.c.enabled)
        async with self.db.engine.connect() as conn:
            return {r.id: ChannelKind(r.kind) for r in (await conn.execute(stmt)).all()}

    async def list_channels(self, user_id: str) -> list[Channel]:
        stmt = (sa.select(alert_channels).where(alert_channels.c.user_id == user_id)
                .order_by(alert_channels.c.id))
        async with self.db.engine.connect() as conn:
            return [self._channel(r) for r in (await conn.execute(stmt)).all()]

    async def update_channel(self, channel: Channel) -> bool:
        """Target, verification, enabled flag and secrets of one of the user's channels."""
        t = alert_channels
        stmt = t.update().where(t.c.id == channel.id, t.c.user_id == channel.user_id).values(
            target=self._seal(channel.target), verified=channel.verified,
            enabled=channel.enabled, disabled_reason=channel.disabled_reason,
            secrets=[self._seal(x) for x in channel.secrets])
        async with self.db.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def seal_channels(self, *, batch: int = 500) -> int:
        """Seal what is not sealed under the first key yet (rows from before sealing, or from
        before a key rotation); returns how many rows were rewritten. Each page is read and
        rewritten in one transaction, its rows locked on PostgreSQL, so a concurrent change
        of a channel is not overwritten with its old values."""
        cipher, t, after, done = self.cipher, alert_channels, "", 0
        if cipher is None:
            return 0
        while True:
            async with self.db.engine.begin() as conn:
                rows = (await conn.execute(
                    sa.select(t.c.id, t.c.target, t.c.secrets).where(t.c.id > after)
                    .order_by(t.c.id).limit(batch).with_for_update())).all()
                if not rows:
                    return done
                after = rows[-1].id
                for r in rows:
                    if cipher.is_current(r.target) and all(map(cipher.is_current, r.secrets)):
                        continue
                    await conn.execute(t.update().where(t.c.id == r.id).values(
                        target=cipher.reseal(r.target),
                        secrets=[cipher.reseal(x) for x in r.secrets]))
                    done += 1

    async def delete_channel(self, user_id: str, channel_id: str) -> bool:
        t = alert_channels
        async with self.db.engine.begin() as conn:
            done = await conn.execute(t.delete().where(t.c.id == channel_id,
                                                       t.c.user_id == user_id))
            return done.rowcount == 1
