"""StatementStore on SQL (SQLite or PostgreSQL): company profiles and financial statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.analysis import codec
from stockflow.analysis.accounts import StatementType
from stockflow.analysis.domain import CompanyProfile, PeriodType, Statement
from stockflow.analysis.tables import companies, financial_statements
from stockflow.core.ports import Database

StatementKey = tuple[str, date, StatementType]
_PROFILE_FIELDS = tuple(f.name for f in fields(CompanyProfile))
_fs = financial_statements.c


class SqlStatementStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(table)

    async def save_company(self, profile: CompanyProfile) -> None:
        row = asdict(profile) | {"name": profile.name or profile.ticker, "metadata": {},
                                 "updated_at": datetime.now(UTC)}
        stmt = self._insert(companies).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[companies.c.ticker],
            set_={k: stmt.excluded[k] for k in row if k != "ticker"})
        async with self.db.engine.begin() as conn:
            await conn.execute(stmt)

    async def company(self, ticker: str) -> CompanyProfile | None:
        query = sa.select(*(companies.c[f] for f in _PROFILE_FIELDS)).where(
            companies.c.ticker == ticker)
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else CompanyProfile(**dict(zip(_PROFILE_FIELDS, row,
                                                                  strict=True)))

    async def save_statements(self, statements: Sequence[Statement]) -> list[StatementKey]:
        """Insert or merge; the keys whose stored data changed (for `financials.updated`)."""
        grouped: dict[StatementKey, list[Statement]] = {}
        for s in statements:
            grouped.setdefault((s.ticker, s.end, s.statement), []).append(s)
        if not grouped:
            return []
        changed: list[StatementKey] = []
        now = datetime.now(UTC)
        async with self.db.engine.begin() as conn:
            await self._ensure_companies(conn, {k[0] for k in grouped}, now)
            existing = await self._existing(conn, list(grouped))
            rows = []
            for key, items in grouped.items():
                data, dirty = existing.get(key, {}), key not in existing
                for s in items:
                    data, diff = codec.merge(data, s)
                    dirty = dirty or diff
                if dirty:
                    changed.append(key)
                    rows.append(self._row(key, data, now))
            if rows:
                # One statement for every row: a transaction that awaited once per row held
                # SQLite's write lock across as many turns of a busy event loop (other writers
                # then waited past their busy timeout).
                await conn.execute(self._upsert(), rows)
        return changed

    def _row(self, key: StatementKey, data: dict[str, Any], now: datetime) -> dict[str, Any]:
        fy, label, start = codec.fiscal_period(data)
        return {"ticker": key[0], "period_end": key[1], "statement_type": key[2].value,
                "period_start": start, "fiscal_year": fy, "fiscal_period": label, "data": data,
                "created_at": now, "updated_at": now}

    def _upsert(self) -> Any:
        stmt = self._insert(financial_statements)
        return stmt.on_conflict_do_update(
            index_elements=[_fs.ticker, _fs.period_end, _fs.statement_type],
            set_={"period_start": stmt.excluded.period_start, "data": stmt.excluded.data,
                  "fiscal_year": stmt.excluded.fiscal_year,
                  "fiscal_period": stmt.excluded.fiscal_period,
                  "updated_at": stmt.excluded.updated_at})

    async def _ensure_companies(self, conn: Any, tickers: set[str], now: datetime) -> None:
        # The seed's foreign key: a statement needs its company row, if only a stub.
        stmt = self._insert(companies).values([
            {"ticker": t, "name": t, "source": "", "metadata": {}, "updated_at": now}
            for t in sorted(tickers)]).on_conflict_do_nothing(index_elements=[companies.c.ticker])
        await conn.execute(stmt)

    async def _existing(self, conn: Any, keys: list[StatementKey]) -> dict[StatementKey, dict]:
        out: dict[StatementKey, dict] = {}
        for ticker in {k[0] for k in keys}:
            ends = [k[1] for k in keys if k[0] == ticker]
            query = sa.select(_fs.period_end, _fs.statement_type, _fs.data).where(
                _fs.ticker == ticker, _fs.period_end.in_(ends))
            for end, kind, data in (await conn.execute(query)).all():
                out[(ticker, end, StatementType(kind))] = data
        return out

    async def statements(self, ticker: str, *, statement: StatementType | None = None,
                         period: PeriodType | None = None, before: date | None = None,
                         limit: int = 1000) -> list[Statement]:
        """Every revision of the newest `limit` period ends before `before`, newest first."""
        query = sa.select(_fs.period_end, _fs.statement_type, _fs.data).where(
            _fs.ticker == ticker)
        if statement is not None:
            query = query.where(_fs.statement_type == statement.value)
        if before is not None:
            query = query.where(_fs.period_end < before)
        query = query.order_by(_fs.period_end.desc(), _fs.statement_type)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        out: list[Statement] = []
        ends: list[date] = []
        for end, kind, data in rows:
            found = [s for s in codec.rows(ticker, end, kind, data)
                     if period is None or s.period is period]
            if found and end not in ends:
                if len(ends) == limit:
                    break
                ends.append(end)
            out.extend(found)
        return out

    async def tickers(self) -> list[str]:
        query = sa.select(_fs.ticker).distinct().order_by(_fs.ticker)
        async with self.db.engine.connect() as conn:
            return [r[0] for r in (await conn.execute(query)).all()]
