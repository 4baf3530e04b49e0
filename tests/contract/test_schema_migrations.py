"""The migrations build exactly the schema the code declares: every table, column, type,
nullability, primary key and index of every `sa.MetaData` in the package, on SQLite and
PostgreSQL. A table module changed without a migration (or the reverse) fails here.

What Alembic cannot describe (SQLite FTS5 virtual tables, a PostgreSQL tsvector column and its
GIN index) a table module names in `ENGINE_MANAGED` (dialect -> "table"/"column"/"index" ->
names); exactly those are left out of the comparison, and each must exist after migrating."""

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


def engine_managed(dialect: str) -> dict[str, set[str]]:
    """kind -> names of the raw-DDL objects every table module declares for this dialect."""
    found: dict[str, set[str]] = {"table": set(), "column": set(), "index": set()}
    for info in pkgutil.walk_packages(stockflow.__path__, "stockflow."):
        if info.name.startswith(_NOT_IMPORTED):
            continue
        for kind, names in getattr(importlib.import_module(info.name), "ENGINE_MANAGED",
                                   {}).get(dialect, {}).items():
            found[kind] |= set(names)
    return found


def _for_this_dialect(dialect: str):
    """Alembic's include_object hook: leave out what the metadata builds only on another
    dialect (`.ddl_if(dialect=...)`, e.g. PostgreSQL's BRIN index), as create_all would, and
    the declared engine-managed objects."""
    managed = engine_managed(dialect)

    def include(obj: Any, name: str | None, kind: str, _reflected: bool, _other: Any) -> bool:
        if kind == "column" and isinstance(obj, sa.Column) and obj.table is not None:
            name = f"{obj.table.name}.{name}"
        if name in managed.get(kind, ()):
            return False
        only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return only_on is None or only_on == dialect
    return include


def _present(inspector: Any, managed: dict[str, set[str]]) -> dict[str, set[str]]:
    tables = set(inspector.get_table_names())
    columns = {f"{t}.{c['name']}" for t in {n.split(".")[0] for n in managed["column"]}
               for c in inspector.get_columns(t)}
    indexes = {i["name"] for t in tables for i in inspector.get_indexes(t)}
    return {"table": managed["table"] & tables, "column": managed["column"] & columns,
            "index": managed["index"] & indexes}


def _compare(conn: sa.Connection, metadata: list[sa.MetaData]) -> dict[str, Any]:
    context = MigrationContext.configure(conn, opts={
        "compare_type": True, "include_object": _for_this_dialect(conn.dialect.name)})
    inspector = sa.inspect(conn)
    tables = {t.name: t for m in metadata for t in m.tables.values()}
    managed = engine_managed(conn.dialect.name)
    stored = set(inspector.get_table_names()) - {"alembic_version"} - managed["table"]
    keys = {name: inspector.get_pk_constraint(name)["constrained_columns"]
            for name in sorted(stored & set(tables))}
    return {
        "diff": compare_metadata(context, metadata),  # type: ignore[arg-type]  # a sequence is fine
        "missing": sorted(set(tables) - stored), "undeclared": sorted(stored - set(tables)),
        "primary_keys": {name: (cols, [c.name for c in tables[name].primary_key.columns])
                         for name, cols in keys.items()
                         if cols != [c.name for c in tables[name].primary_key.columns]},
        "engine_managed": _present(inspector, managed) == managed,
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
    assert found == {"diff": [], "missing": [], "undeclared": [], "primary_keys": {},
                     "engine_managed": True}
