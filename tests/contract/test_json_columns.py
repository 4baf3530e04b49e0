"""JSON columns on SQLite and PostgreSQL: what the standard library stored is stored and read
back the same through the engine's orjson codec (adapters/storage/jsoncolumns.py), and the
documented differences hold."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from stockflow.adapters.storage import jsoncolumns
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.control.tables import settings_kv
from stockflow.core.sql import Json

_meta = sa.MetaData()
docs = sa.Table("json_contract_docs", _meta, sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("doc", Json, nullable=False))


@dataclass
class Point:
    x: int


# Values the standard library wrote, each with what it read back (its own round trip).
SAME = [
    {"type": "alert.triggered", "data": {"value": 150.25, "previous": None, "ok": True}},
    [1, -2, 0.1, 1e-7, 1e16, -0.0, 2**63 - 1, -(2**63)],
    {"é": "naïve ☃", "quote": "\"\\\n\t", "empty": {}, "list": []},
    {"np": np.float64(1.5), "tuple": (1, 2)},
    {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},
    "a lone \ud800 surrogate",
]
# What the standard library refused, which still fails the write.
REFUSED = [datetime(2026, 1, 5, tzinfo=UTC), Decimal("1.10"), Point(1), np.int64(3),
           np.array([1.0]), {datetime(2026, 1, 5): 1}, object()]


def _stdlib_round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("value", SAME, ids=range(len(SAME)))
def test_codec_reads_back_what_the_standard_library_did(value: Any) -> None:
    assert jsoncolumns.loads(jsoncolumns.dumps(value)) == _stdlib_round_trip(value)


@pytest.mark.parametrize("value", REFUSED, ids=range(len(REFUSED)))
def test_codec_refuses_what_the_standard_library_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        jsoncolumns.dumps(value)


def test_codec_reads_the_standard_librarys_nonstandard_tokens() -> None:
    # SQLite rows written before the codec may hold them.
    got = jsoncolumns.loads('{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400}')
    assert math.isnan(got["a"]) and got["b"] == got["d"] == math.inf and got["c"] == -math.inf


def test_codec_documented_differences() -> None:
    assert jsoncolumns.loads(jsoncolumns.dumps({"nan": math.nan, "inf": -math.inf})) == {
        "nan": None, "inf": None}
    ident = uuid.UUID(int=7)
    assert jsoncolumns.loads(jsoncolumns.dumps({"id": ident})) == {"id": str(ident)}
    assert isinstance(jsoncolumns.loads(str(2**70)), float)


@pytest.fixture
async def table(database: SqlDatabase) -> SqlDatabase:
    async with database.engine.begin() as conn:
        await conn.run_sync(_meta.create_all)
    return database


async def _write_read(db: SqlDatabase, value: Any) -> Any:
    async with db.engine.begin() as conn:
        await conn.execute(docs.delete())
        await conn.execute(docs.insert().values(id=1, doc=value))
        return (await conn.execute(sa.select(docs.c.doc))).scalar_one()


# (PostgreSQL's jsonb refuses a lone surrogate escape, as it always did.)
@pytest.mark.parametrize("value", SAME[:-1], ids=range(len(SAME) - 1))
async def test_stored_value_reads_back_as_before(table: SqlDatabase, value: Any) -> None:
    assert await _write_read(table, value) == _stdlib_round_trip(value)


async def test_refused_value_fails_the_write(table: SqlDatabase) -> None:
    with pytest.raises(sa.exc.StatementError) as caught:
        await _write_read(table, {"at": datetime(2026, 1, 5, tzinfo=UTC)})
    assert isinstance(caught.value.orig, TypeError)


async def test_nan_is_stored_as_null(table: SqlDatabase) -> None:
    # Documented: the standard library's NaN token was refused by jsonb and kept as text on
    # SQLite; both now store null.
    assert await _write_read(table, {"v": math.nan, "w": 1.0}) == {"v": None, "w": 1.0}


async def test_bulk_insert_uses_the_same_codec(database: SqlDatabase) -> None:
    # bulk_insert runs the shared tables' own bind processors; settings_kv has a JSON column.
    value = {"é": [1.5, None], "nan": math.nan}
    await database.bulk_insert("settings_kv", ["key", "value", "updated_at"],
                               [("json-contract", value, datetime(2026, 1, 5, tzinfo=UTC))],
                               conflict_keys=["key"])
    async with database.engine.connect() as conn:
        got = (await conn.execute(sa.select(settings_kv.c.value))).scalar_one()
    assert got == {"é": [1.5, None], "nan": None}
