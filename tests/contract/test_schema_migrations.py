"""The migrations build exactly the schema the code declares: every table, column, type,
nullability, primary key and index of every `sa.MetaData` in the package, on SQLite and
PostgreSQL. A table module changed without a migration (or the reverse) fails here."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import stockflow
from stockflow.adapters.storage.database import SqlDatabase

# Alembic's env.py runs migrations when imported; it declares no tables of its own.
_NOT_IMPORTED = ("stockflow.adapters.storage.migrations",)


def declared_metadata() -> list[sa.MetaData]:
    """Every MetaData object defined at module level anywhere in the package, with the tables
    of every module that adds to it (importing a module is free of I/O by house rule)."""
    found: dict[int, sa.MetaData] = {}
    for info in pkgutil.walk_packages(stockflow.__path__, "stockflow."):
        if info.name.startswith(_NOT_IMPORTED):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, sa.MetaData):
                found[id(value)] = value
    return list(found.values())


def _for_this_dialect(dialect: str):
    """Alembic's include_object hook: leave out what the metadata builds only on another
    dialect (`.ddl_if(dialect=...)`, e.g. PostgreSQL's BRIN index), as create_all would."""
    def include(obj: Any, _name: str | None, _kind: str, _reflected: bool, _other: Any) -> bool:
        only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return only_on is None or only_on == dialect
    return include


def _compare(conn: sa.Connection, metadata: list[sa.MetaData]) -> dict[str, Any]:
    context = MigrationContext.configure(conn, opts={
        "compare_type": True, "include_object": _for_this_dialect(conn.dialect.name)})
    inspector = sa.inspect(conn)
    tables = {t.name: t for m in metadata for t in m.tables.values()}
    stored = set(inspector.get_table_names()) - {"alembic_version"}
    keys = {name: inspector.get_pk_constraint(name)["constrained_columns"]
            for name in sorted(stored & set(tables))}
    return {
        "diff": compare_metadata(context, metadata),  # type: ignore[arg-type]  # a sequence is fine
        "missing": sorted(set(tables) - stored), "undeclared": sorted(stored - set(tables)),
        "primary_keys": {name: (cols, [c.name for c in tables[name].primary_key.columns])
                         for name, cols in keys.items()
                         if cols != [c.name for c in tables[name].primary_key.columns]},
    }


def context_migrations() -> list[str]:
    """Every context's own revision folders (the skeleton's included: its tables are found too)."""
    return [info.name for info in pkgutil.walk_packages(stockflow.__path__, "stockflow.")
            if info.name.endswith(".migrations") and not info.name.startswith(_NOT_IMPORTED)]


async def test_migrations_produce_exactly_the_declared_schema(database: SqlDatabase):
    await database.migrate(context_migrations())
    metadata = declared_metadata()
    declared = {t for m in metadata for t in m.tables}
    assert {"instruments", "ohlcv", "ticks", "users", "job_runs"} <= declared, declared  # found them all
    async with database.engine.connect() as conn:
        found = await conn.run_sync(_compare, metadata)
    assert found == {"diff": [], "missing": [], "undeclared": [], "primary_keys": {}}
