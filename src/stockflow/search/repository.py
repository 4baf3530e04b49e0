"""SQL stores of the search context (SQLite or PostgreSQL): reindex checkpoints, so
`stockflow search reindex` resumes, and sentiment labels that arrived before their article."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from stockflow.core.ports import Database
from stockflow.search.domain import DocType
from stockflow.search.tables import pending_labels, reindex_state


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


class SqlPendingLabels:
    """PendingLabels on the search_pending_labels table (shared by every search worker)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def put(self, article_id: str, label: str, noted_at: datetime) -> None:
        t = pending_labels
        async with self.db.engine.begin() as conn:
            await conn.execute(sa.delete(t).where(t.c.article_id == article_id))
            await conn.execute(sa.insert(t).values(article_id=article_id, label=label,
                                                   noted_at=int(noted_at.timestamp())))

    async def take(self, article_id: str) -> str | None:
        t = pending_labels
        async with self.db.engine.begin() as conn:
            label = (await conn.execute(sa.select(t.c.label).where(
                t.c.article_id == article_id))).scalar_one_or_none()
            if label is not None:
                await conn.execute(sa.delete(t).where(t.c.article_id == article_id))
            return label

    async def drop_before(self, cutoff: datetime) -> int:
        t = pending_labels
        async with self.db.engine.begin() as conn:
            result = await conn.execute(sa.delete(t).where(
                t.c.noted_at < int(cutoff.timestamp())))
            return int(result.rowcount or 0)
