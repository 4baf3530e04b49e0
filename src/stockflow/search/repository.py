"""Reindex checkpoints in SQL (SQLite or PostgreSQL), so `stockflow search reindex` resumes."""

from __future__ import annotations

import sqlalchemy as sa

from stockflow.core.ports import Database
from stockflow.search.domain import DocType
from stockflow.search.tables import reindex_state


class SqlCheckpoints:
    """ReindexCheckpoints on the search_reindex_state table."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def load(self, doc_type: DocType) -> tuple[str | None, int]:
        query = sa.select(reindex_state.c.last_id, reindex_state.c.done).where(
            reindex_state.c.doc_type == doc_type.value)
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (None, 0) if row is None else (row.last_id, int(row.done))

    async def save(self, doc_type: DocType, last_id: str | None, done: int) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(sa.delete(reindex_state).where(
                reindex_state.c.doc_type == doc_type.value))
            await conn.execute(sa.insert(reindex_state).values(
                doc_type=doc_type.value, last_id=last_id, done=done))

    async def clear(self, doc_type: DocType) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(sa.delete(reindex_state).where(
                reindex_state.c.doc_type == doc_type.value))
