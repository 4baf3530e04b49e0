"""Storage of processed ticks: one bulk, idempotent write per batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from stockflow.core.ports import Database
from stockflow.pipeline.tables import ticks

COLUMNS = ("provider", "symbol", "seq", "ticker", "time", "price", "size", "bid", "ask", "vwap",
           "volume")
IDENTITY = ("provider", "symbol", "seq")
# What a processed-tick event carries to storage: the stored fields only, one array per field,
# the time as epoch microseconds. Against a 23-key dict per tick that is about a third of the
# bytes, and arrays of numbers and strings are what JSON (de)serialisers handle fastest.
WIRE_COLUMNS = ("provider", "symbol", "seq", "ticker", "ts", "price", "size", "bid", "ask",
                "vwap", "volume")
_TS = WIRE_COLUMNS.index("ts")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def tick_row(t: dict[str, Any]) -> tuple[Any, ...]:
    return (t["provider"], t["symbol"], t["seq"], t["ticker"],
            _EPOCH + timedelta(microseconds=t["ts"]), t["price"], t["size"], t.get("bid"),
            t.get("ask"), t.get("vwap"), t.get("volume"))


def pack_ticks(processed: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Processed ticks (the processor's dicts) → the columnar payload of market.ticks.processed."""
    # One comprehension per column beats transposing itemgetter tuples with zip(*...).
    return {"columns": {c: [t[c] for t in processed] for c in WIRE_COLUMNS}}


def pack_columns(columns: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """Columns of processed ticks (`ProcessResult.columns()`) → the payload of
    market.ticks.processed, as `pack_ticks` makes it from dicts."""
    return {"columns": {c: columns[c] for c in WIRE_COLUMNS}}


def unpack_rows(payload: Mapping[str, Any], *,
                epoch_micros: bool = False) -> list[tuple[Any, ...]]:
    """The rows (in COLUMNS order) of a payload made by `pack_ticks`; ValueError if malformed.

    The time is an aware datetime, or with `epoch_micros` the payload's integer microseconds,
    which the time column type takes as they are: SQLite stores exactly that integer, so the
    storage writer skips a datetime per row each way."""
    columns = payload.get("columns")
    if not isinstance(columns, Mapping):
        raise ValueError("no 'columns' object")  # noqa: TRY004 - a malformed payload
    try:
        values = [columns[c] for c in WIRE_COLUMNS]
    except KeyError as exc:
        raise ValueError(f"column {exc.args[0]!r} is missing") from None
    if not all(isinstance(v, list | tuple) and len(v) == len(values[0]) for v in values):
        raise ValueError("columns must be arrays of one length")
    if not epoch_micros:
        epoch, us = _EPOCH, timedelta
        values[_TS] = [epoch + us(microseconds=ts) for ts in values[_TS]]
    return list(zip(*values, strict=True))


class SqlTickStore:
    def __init__(self, db: Database, *, dedup: bool = True) -> None:
        self.db = db
        # dedup=False writes rows as they come; it exists as the crash test's negative control.
        self.dedup = dedup
        # SQLite stores the time as the epoch microseconds of the payload, so rows for it keep
        # them (`unpack_rows(epoch_micros=True)`); PostgreSQL's driver wants datetimes, which the
        # comprehension in `unpack_rows` makes faster than the column type would.
        self.epoch_micros = db.dialect == "sqlite"

    async def write_ticks(self, processed: Sequence[dict[str, Any]]) -> int:
        """Store a batch; returns how many rows were new (a redelivered batch returns 0)."""
        return await self.write_rows([tick_row(t) for t in processed])

    async def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Store rows in COLUMNS order (`tick_row`, `unpack_rows`); returns how many were new.
        The time may be an aware datetime or integer epoch microseconds."""
        return await self.db.bulk_insert("ticks", COLUMNS, rows, conflict_keys=IDENTITY,
                                         skip_conflicts=self.dedup, expect_conflicts=False)

    async def count(self) -> int:
        async with self.db.engine.connect() as conn:  # type: ignore[attr-defined]
            return int((await conn.execute(sa.select(sa.func.count()).select_from(ticks)))
                       .scalar_one())

    async def counts(self) -> tuple[int, int]:
        """(rows, distinct identities): equal when nothing was stored twice."""
        inner = sa.select(ticks.c.provider, ticks.c.symbol, ticks.c.seq).distinct().subquery()
        stmt = sa.select(sa.select(sa.func.count()).select_from(ticks).scalar_subquery(),
                         sa.select(sa.func.count()).select_from(inner).scalar_subquery())
        async with self.db.engine.connect() as conn:  # type: ignore[attr-defined]
            rows, distinct = (await conn.execute(stmt)).one()
        return int(rows), int(distinct)
