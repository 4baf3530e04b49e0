"""Accounts and refresh tokens on SQL (SQLite and PostgreSQL). All users' account SQL lives here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from stockflow.core.ports import Database
from stockflow.users.domain import Tier, User
from stockflow.users.tables import refresh_tokens, users


class DuplicateEmail(Exception):
    pass


def _user(row: Any) -> User:
    return User(id=row.id, email=row.email, password_hash=row.password_hash,
                full_name=row.full_name, tier=Tier(row.tier),
                permissions=tuple(row.permissions or ()), created_at=row.created_at,
                updated_at=row.updated_at)


class SqlAccountStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_user(self, user: User) -> None:
        values = {"id": user.id, "email": user.email, "password_hash": user.password_hash,
                  "full_name": user.full_name, "tier": user.tier.value,
                  "permissions": list(user.permissions), "created_at": user.created_at,
                  "updated_at": user.updated_at}
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(users.insert().values(**values))
        except IntegrityError:
            raise DuplicateEmail(user.email) from None

    async def get_user(self, user_id: str) -> User | None:
        return await self._one(users.c.id == user_id)

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(users.c.email == email)

    async def _one(self, where: Any) -> User | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(where))).first()
        return _user(row) if row is not None else None

    async def update_user(self, user_id: str, **values: Any) -> User | None:
        if "tier" in values and isinstance(values["tier"], Tier):
            values["tier"] = values["tier"].value
        if "permissions" in values:
            values["permissions"] = list(values["permissions"])
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(users.update().where(users.c.id == user_id).values(**values))
        except IntegrityError:
            raise DuplicateEmail(values.get("email", "")) from None
        return await self.get_user(user_id)

    async def list_users(self, limit: int, after: str | None) -> list[User]:
        stmt = sa.select(users).order_by(users.c.id).limit(limit)
        if after:
            stmt = stmt.where(users.c.id > after)
        async with self.db.engine.connect() as conn:
            return [_user(r) for r in (await conn.execute(stmt)).all()]

    # -- refresh tokens -------------------------------------------------------------------
    async def add_refresh(self, *, id: str, token_hash: str, family_id: str, user_id: str,
                          created_at: datetime, expires_at: datetime) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(refresh_tokens.insert().values(
                id=id, token_hash=token_hash, family_id=family_id, user_id=user_id,
                created_at=created_at, expires_at=expires_at))

    async def claim_refresh(self, token_hash: str, now: datetime) -> bool:
        """Mark a live token used. One conditional UPDATE: of two concurrent claims exactly one
        changes the row, on SQLite and PostgreSQL alike, so one token is never spent twice."""
        t = refresh_tokens.c
        stmt = (refresh_tokens.update()
                .where(t.token_hash == token_hash, t.used_at.is_(None), t.revoked_at.is_(None),
                       t.expires_at > now)
                .values(used_at=now))
        async with self.db.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def get_refresh(self, token_hash: str) -> Any:
        async with self.db.engine.connect() as conn:
            return (await conn.execute(sa.select(refresh_tokens).where(
                refresh_tokens.c.token_hash == token_hash))).first()

    async def family_revoked(self, family_id: str) -> bool:
        t = refresh_tokens.c
        async with self.db.engine.connect() as conn:
            return (await conn.execute(sa.select(t.id).where(
                t.family_id == family_id, t.revoked_at.is_not(None)).limit(1))).first() is not None

    async def revoke_family(self, family_id: str, now: datetime) -> int:
        return await self._revoke(refresh_tokens.c.family_id == family_id, now)

    async def revoke_user(self, user_id: str, now: datetime) -> int:
        return await self._revoke(refresh_tokens.c.user_id == user_id, now)

    async def _revoke(self, where: Any, now: datetime) -> int:
        stmt = (refresh_tokens.update().where(where, refresh_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now))
        async with self.db.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount
