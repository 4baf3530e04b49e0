"""Watchlists, portfolios and transactions on SQL. Every query is scoped by the owner's id, so
another user's ids simply match nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from stockflow.core.ports import Database
from stockflow.users.performance import Transaction
from stockflow.users.tables import portfolio_transactions, portfolios, watchlists


def _watchlist(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "tickers": list(row.tickers),
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}


def _portfolio(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "base_currency": row.base_currency,
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat()}


def _transaction(row: Any) -> Transaction:
    return Transaction(id=row.id, ticker=row.ticker, side=row.side, quantity=row.quantity,
                       price=row.price, fee=row.fee, executed_at=row.executed_at)


class _Owned:
    """Create, list, read, update and delete rows of one table, always scoped by user_id."""

    def __init__(self, db: Database, table: sa.Table, to_wire: Callable[[Any], dict[str, Any]]
                 ) -> None:
        self.db, self.table, self.to_wire = db, table, to_wire

    def _mine(self, user_id: str, row_id: str) -> Any:
        return sa.and_(self.table.c.user_id == user_id, self.table.c.id == row_id)

    async def add(self, **values: Any) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(self.table.insert().values(**values))

    async def of_user(self, user_id: str) -> list[dict[str, Any]]:
        c = self.table.c
        stmt = sa.select(self.table).where(c.user_id == user_id).order_by(c.created_at, c.id)
        async with self.db.engine.connect() as conn:
            return [self.to_wire(r) for r in (await conn.execute(stmt)).all()]

    async def page(self, user_id: str, limit: int, after: tuple[datetime, str] | None,
                   ) -> list[dict[str, Any]]:
        """Up to `limit` rows in creation order, after the (created_at, id) key of the last row
        of the previous page: a keyset, so a row added meanwhile is neither skipped nor doubled."""
        c = self.table.c
        stmt = sa.select(self.table).where(c.user_id == user_id)
        if after is not None:
            at, row_id = after
            stmt = stmt.where(sa.or_(c.created_at > at,
                                     sa.and_(c.created_at == at, c.id > row_id)))
        stmt = stmt.order_by(c.created_at, c.id).limit(limit)
        async with self.db.engine.connect() as conn:
            return [self.to_wire(r) for r in (await conn.execute(stmt)).all()]

    async def get(self, user_id: str, row_id: str) -> dict[str, Any] | None:
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.select(self.table).where(
                self._mine(user_id, row_id)))).first()
        return self.to_wire(row) if row is not None else None

    async def update(self, user_id: str, row_id: str, **values: Any) -> bool:
        async with self.db.engine.begin() as conn:
            return (await conn.execute(self.table.update().where(
                self._mine(user_id, row_id)).values(**values))).rowcount == 1

    async def delete(self, user_id: str, row_id: str) -> bool:
        async with self.db.engine.begin() as conn:
            if self.table is portfolios:
                # Explicitly, not only by ON DELETE CASCADE: SQLite enforces that per connection.
                owned = sa.select(self.table.c.id).where(self._mine(user_id, row_id))
                await conn.execute(portfolio_transactions.delete().where(
                    portfolio_transactions.c.portfolio_id.in_(owned)))
            return (await conn.execute(self.table.delete().where(
                self._mine(user_id, row_id)))).rowcount == 1


class SqlHoldingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.watchlists = _Owned(db, watchlists, _watchlist)
        self.portfolios = _Owned(db, portfolios, _portfolio)

    async def watched_tickers(self) -> list[str]:
        """Every ticker on anyone's watchlist, once: what the scheduled scans cover."""
        rows = await self._rows(sa.select(watchlists.c.tickers))
        return sorted({t for (tickers,) in rows for t in tickers or ()})

    async def _rows(self, stmt: Any) -> list[Any]:
        async with self.db.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    async def add_transactions(self, portfolio_id: str, txs: list[Transaction],
                               created_at: datetime) -> None:
        if not txs:
            return
        async with self.db.engine.begin() as conn:
            await conn.execute(portfolio_transactions.insert(), [
                {"id": t.id, "portfolio_id": portfolio_id, "ticker": t.ticker, "side": t.side,
                 "quantity": t.quantity, "price": t.price, "fee": t.fee,
                 "executed_at": t.executed_at, "created_at": created_at} for t in txs])

    async def transactions(self, portfolio_id: str) -> list[Transaction]:
        t = portfolio_transactions.c
        stmt = (sa.select(portfolio_transactions).where(t.portfolio_id == portfolio_id)
                .order_by(t.executed_at, t.created_at, t.id))
        return [_transaction(r) for r in await self._rows(stmt)]

    async def delete_transaction(self, portfolio_id: str, tx_id: str) -> bool:
        t = portfolio_transactions.c
        async with self.db.engine.begin() as conn:
            return (await conn.execute(portfolio_transactions.delete().where(
                t.portfolio_id == portfolio_id, t.id == tx_id))).rowcount == 1
