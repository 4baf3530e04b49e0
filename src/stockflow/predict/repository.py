"""PredictionStore on SQL (SQLite and PostgreSQL): the daily batch's prediction documents."""

from __future__ import annotations

import math
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.core.ports import Database
from stockflow.predict.ports import Prediction
from stockflow.predict.tables import predictions as t

_NEWEST = (sa.select(sa.func.max(t.c.generated_at))
           .where(t.c.ticker == sa.bindparam("ticker"), t.c.kind == sa.bindparam("kind"))
           .scalar_subquery())
_LATEST = (sa.select(t.c.ticker, t.c.kind, t.c.horizon, t.c.value, t.c.lower, t.c.upper,
                     t.c.model_version, t.c.features, t.c.generated_at)
           .where(t.c.ticker == sa.bindparam("ticker"), t.c.kind == sa.bindparam("kind"),
                  t.c.generated_at == _NEWEST)
           .order_by(t.c.horizon))


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


class SqlPredictionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, items: Sequence[Prediction]) -> int:
        """Upsert: re-running a batch for the same instant replaces its rows."""
        if not items:
            return 0
        rows = [{"ticker": p.ticker, "kind": p.kind, "generated_at": p.generated_at,
                 "horizon": p.horizon, "value": _num(p.value), "lower": _num(p.lower),
                 "upper": _num(p.upper), "model_version": p.model_version,
                 "features": list(p.features)} for p in items]
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        stmt = insert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.ticker, t.c.kind, t.c.generated_at, t.c.horizon],
            set_={c: stmt.excluded[c] for c in ("value", "lower", "upper", "model_version",
                                                "features")})
        async with self.db.engine.begin() as conn:
            await conn.execute(stmt, rows)
        return len(rows)

    async def latest(self, ticker: str, kind: str) -> list[Prediction]:
        async with self.db.engine.connect() as conn:
            result = await conn.execute(_LATEST, {"ticker": ticker, "kind": kind})
            return [Prediction(r.ticker, r.kind, r.horizon, r.value, r.lower, r.upper,
                               r.model_version, tuple(r.features), r.generated_at)
                    for r in result.all()]
