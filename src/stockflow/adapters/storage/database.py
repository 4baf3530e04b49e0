"""The Database port on SQLAlchemy's async engine: SQLite (aiosqlite) and PostgreSQL (asyncpg).

Nothing connects at import or construction; `connect()` makes the engine, `migrate()` runs alembic.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from stockflow.adapters.storage import jsoncolumns
from stockflow.core.sql import metadata

SCHEMES = ("sqlite", "postgresql", "postgres")
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_DRIVERS = {"sqlite": ("sqlite", "aiosqlite"), "postgresql": ("postgresql", "asyncpg"),
            "postgres": ("postgresql", "asyncpg")}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",       # readers never block the writer
    "PRAGMA synchronous=NORMAL",     # safe with WAL; fsync at checkpoints, not every commit
    # Wait for a competing writer instead of failing at once. 15 s: with every context of
    # `stockflow up` writing to one file on a loaded machine, 5 s waits were seen to run out;
    # a wait that still runs out answers 503 (entrypoints/errors.py), not 500.
    "PRAGMA busy_timeout=15000",
    "PRAGMA foreign_keys=ON",
)
# Above this many rows COPY into a staging table beats one INSERT ... SELECT FROM unnest(arrays)
# (measured crossover 500-1000 rows; at 1 row unnest takes ~0.5 ms, the staging table ~1.4 ms).
_UNNEST_MAX_ROWS = 500
# Any constant will do: it only has to be the same in every process that migrates one database.
_MIGRATION_LOCK_KEY = 0x5F0C_F10E


class SqlDatabase:
    """A pool to one SQL database, plus the dialect-specific bulk insert.

    PostgreSQL isolation: `schema` (keyword, or a `?schema=name` URL query option) sets the
    connection's search_path to "<schema>, public", so every unqualified table lives in that schema;
    `migrate()` creates the schema if missing. Tests use one throwaway schema per test.
    """

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False,
                 schema: str | None = None) -> None:
        self.url = url
        self._sa_url, self.dialect, url_schema = _async_url(url)
        self.schema = schema or url_schema
        if self.schema is not None:
            if self.dialect != "postgresql":
                raise ValueError("a schema can only be chosen on PostgreSQL")
            if not _IDENTIFIER.match(self.schema):
                raise ValueError(f"invalid schema name: {self.schema!r}")
        self.pool_size = pool_size
        self.echo = echo
        self._engine: AsyncEngine | None = None
        self._processors: dict[tuple[str, tuple[str, ...]], list[Callable[[Any], Any] | None]] = {}
        self._array_type_cache: dict[tuple[str, tuple[str, ...]], list[str] | None] = {}
        self._ending: list[threading.Thread] = []  # threads of hard-closed SQLite connections

    def __repr__(self) -> str:
        shown = self._sa_url.render_as_string(hide_password=True)
        return f"SqlDatabase({shown!r}, schema={self.schema!r})"

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("SqlDatabase is not connected; await connect() first")
        return self._engine

    @property
    def connected(self) -> bool:
        return self._engine is not None

    async def connect(self) -> None:
        if self._engine is not None:
            return
        kwargs: dict[str, Any] = {"echo": self.echo, "json_serializer": jsoncolumns.dumps,
                                  "json_deserializer": jsoncolumns.loads}
        if self.dialect == "sqlite":
            memory = self._sa_url.database in (None, "", ":memory:")
            if not memory:
                Path(self._sa_url.database).parent.mkdir(parents=True, exist_ok=True)
                kwargs["pool_size"] = self.pool_size  # a memory database uses one static connection
            engine = create_async_engine(self._sa_url, **kwargs)
            event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
            engine.sync_engine.dialect.do_terminate = partial(  # type: ignore[method-assign]
                _sqlite_terminate, self._ending)
        else:
            if self.schema:
                kwargs["connect_args"] = {
                    "server_settings": {"search_path": f'"{self.schema}", public'}}
            engine = create_async_engine(self._sa_url, pool_size=self.pool_size, **kwargs)
        self._engine = engine

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()
        # A hard-closed connection's thread ends after its rollback; nothing outlives close().
        ending, self._ending[:] = list(self._ending), []
        if any(t.is_alive() for t in ending):
            await asyncio.to_thread(_join, ending, 30.0)

    async def migrate(self, locations: Sequence[str] = ()) -> None:
        """Upgrade to the newest alembic revisions; safe to repeat and to run from many processes.
        `locations`: the contexts' own revision folders (package paths), beside the platform's."""
        config = alembic_config(locations)
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
                if self.schema:
                    await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await conn.run_sync(_upgrade_head, config)

    async def ping(self, timeout: float = 5.0) -> bool:
        if self._engine is None:
            return False
        try:
            async with asyncio.timeout(timeout), self._engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except Exception:  # noqa: BLE001 - a health check reports, it does not raise
            return False
        return True

    async def bulk_insert(self, table: str, columns: Sequence[str],
                          rows: Sequence[Sequence[Any]], *, conflict_keys: Sequence[str],
                          skip_conflicts: bool = True, expect_conflicts: bool = True) -> int:
        """Insert rows, skipping those that collide on `conflict_keys`; returns how many were new.

        With skip_conflicts=False rows go in as they are (PostgreSQL: a plain COPY into the table),
        which is the raw reference of the benchmarks and the no-dedup control of the crash test.

        expect_conflicts=False says conflicts are rare (a redelivered batch): on PostgreSQL a
        large batch is then first COPied straight into the table, and only if that hits a
        unique violation, which undoes it whole, written again the conflict-skipping way.

        Values are Python values as the schema's column types take them (aware datetimes, floats);
        the type processors of known tables run here, so SQLite gets its integer timestamps.
        """
        if not rows:
            return 0
        columns = tuple(columns)
        records = self._encode(table, columns, rows)
        quote = self.engine.dialect.identifier_preparer.quote
        target = quote(table)
        cols = ", ".join(quote(c) for c in columns)
        on_conflict = (f"ON CONFLICT ({', '.join(quote(k) for k in conflict_keys)}) DO NOTHING"
                       if conflict_keys else "ON CONFLICT DO NOTHING")
        if not skip_conflicts:
            on_conflict = ""
            if self.dialect == "postgresql":
                return await self._copy_direct(table, columns, records)
        if self.dialect == "postgresql":
            array_types = self._array_types(table, columns)
            if array_types is not None and len(records) <= _UNNEST_MAX_ROWS:
                return await self._unnest_insert(target, cols, array_types, on_conflict, records)
            if not expect_conflicts and await self._copy_unless_conflict(table, columns, records):
                return len(records)
            return await self._copy_insert(table, target, columns, cols, on_conflict, records)
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {target} ({cols}) VALUES ({marks}) {on_conflict}"
        async with self.engine.begin() as conn:
            # A conflict target, not INSERT OR IGNORE: OR IGNORE would also drop rows that break
            # NOT NULL/CHECK, which PostgreSQL rejects; this way both dialects behave the same.
            result = await conn.exec_driver_sql(sql, records)
            return result.rowcount

    async def _unnest_insert(self, target: str, cols: str, array_types: list[str],
                             on_conflict: str, records: list[tuple[Any, ...]]) -> int:
        # Small batches: one prepared statement taking a column array per column; no temp table
        # (creating one per batch is a few catalog writes, which dominate a 1-100 row insert).
        args = ", ".join(f"${i}::{t}[]" for i, t in enumerate(array_types, start=1))
        sql = f"INSERT INTO {target} ({cols}) SELECT * FROM unnest({args}) {on_conflict}"
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            status = await raw.driver_connection.execute(sql, *zip(*records, strict=True))
        return int(status.rsplit(" ", 1)[-1])

    def _array_types(self, table: str, columns: tuple[str, ...]) -> list[str] | None:
        key = (table, columns)
        if key not in self._array_type_cache:
            known = metadata.tables.get(table)
            dialect = self.engine.dialect
            self._array_type_cache[key] = None if known is None else [
                known.c[c].type.compile(dialect=dialect) for c in columns]
        return self._array_type_cache[key]

    async def _copy_insert(self, table: str, target: str, columns: tuple[str, ...], cols: str,
                           on_conflict: str, records: list[tuple[Any, ...]]) -> int:
        # COPY into a session-private staging table, then one set-based INSERT that skips conflicts
        # (COPY alone cannot skip duplicates). Measured for 100k quotes: 0.7 s against 1.3 s for
        # the unnest statement.
        stage = self.engine.dialect.identifier_preparer.quote(f"_stage_{table}")
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            pg = raw.driver_connection
            async with pg.transaction():
                await pg.execute(f"CREATE TEMP TABLE {stage} (LIKE {target} INCLUDING DEFAULTS) "
                                 "ON COMMIT DROP")
                await pg.copy_records_to_table(f"_stage_{table}", records=records,
                                               columns=list(columns))
                status = await pg.execute(
                    f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} {on_conflict}")
        return int(status.rsplit(" ", 1)[-1])  # "INSERT 0 <n>"

    async def _copy_unless_conflict(self, table: str, columns: tuple[str, ...],
                                    records: list[tuple[Any, ...]]) -> bool:
        """COPY into the table in one transaction; False (and nothing written) on a conflict.

        The staging table and its INSERT ... ON CONFLICT cost about as much again as the COPY
        itself, and a batch nobody stored before, the common case, needs neither."""
        from asyncpg import UniqueViolationError  # asyncpg is only imported for PostgreSQL

        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            pg = raw.driver_connection
            try:
                async with pg.transaction():
                    await pg.copy_records_to_table(table, records=records, columns=list(columns),
                                                   schema_name=self.schema)
            except UniqueViolationError:
                return False
        return True

    async def _copy_direct(self, table: str, columns: tuple[str, ...],
                           records: list[tuple[Any, ...]]) -> int:
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(
                table, records=records, columns=list(columns), schema_name=self.schema)
        return len(records)

    def _encode(self, table: str, columns: tuple[str, ...],
                rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        key = (table, columns)
        processors = self._processors.get(key)
        if processors is None:
            known = metadata.tables.get(table)
            dialect = self.engine.dialect
            processors = [known.c[c].type.bind_processor(dialect) if known is not None else None
                          for c in columns]
            self._processors[key] = processors
        active = [(i, p) for i, p in enumerate(processors) if p is not None]
        if not active:
            return [tuple(r) for r in rows]
        out = []
        for row in rows:
            values = list(row)
            for i, process in active:
                values[i] = process(values[i])
            out.append(tuple(values))
        return out


def alembic_config(locations: Sequence[str] = ()) -> Config:
    """Alembic configuration pointing at the packaged migrations; no alembic.ini needed. A
    context's own revisions start a branch of their own (`branch_labels`), so every head is
    upgraded."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    folders = [str(MIGRATIONS_DIR / "versions"), *(_package_dir(p) for p in locations)]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(folders).replace("%", "%%"))
    return config


def _package_dir(package: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"migrations package {package!r} not found")
    return str(next(iter(spec.submodule_search_locations)))


def make_database(url: str, **kwargs: Any) -> SqlDatabase:
    """Registry factory for the sqlite://, postgresql:// and postgres:// schemes."""
    return SqlDatabase(url, **kwargs)


def upgrade(url: str, **kwargs: Any) -> None:
    """Blocking `alembic upgrade head` for the CLI (`stockflow db upgrade`)."""

    async def run() -> None:
        db = SqlDatabase(url, **kwargs)
        await db.connect()
        try:
            await db.migrate()
        finally:
            await db.close()

    asyncio.run(run())


def _upgrade_head(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _join(threads: list[threading.Thread], patience: float) -> None:
    deadline = time.monotonic() + patience
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def _sqlite_terminate(ending: list[threading.Thread], dbapi_connection: Any) -> None:
    """Hard-close a connection SQLAlchemy gave up on (a task cancelled mid-statement): roll back
    and close it on the connection's own thread, behind the statement still running there.

    Two ways the dialect's own terminate left the file locked for every later writer ("database
    is locked" after busy_timeout, in this process and the next):
    - it closes without a rollback while the cancelled statement's cursor is still referenced
      (by the cancellation's traceback), so SQLite keeps the closed connection alive as a zombie
      that still holds its write transaction;
    - it awaits a graceful close first and, when a second cancellation (cancel_and_wait repeats
      them) interrupts that wait, force-closes; the late graceful close then marks the connection
      closed before the thread has closed it, and the thread exits with it open.
    The queue is aiosqlite's own (SQLAlchemy's adapter queues on it the same way); its thread
    runs what is queued in order, the statement still running first (not interrupted: SQLite
    keeps an interrupt pending while any other statement of the connection is open, and the
    rollback would then fail), and the last item ends it as aiosqlite's `stop()` does, but
    without a future of the event loop's. `close()` waits for the thread.
    """
    import aiosqlite.core as aiosqlite_core

    driver = dbapi_connection.driver_connection            # aiosqlite.Connection
    raw = driver._connection                                # the sqlite3 connection, or None
    stop = getattr(aiosqlite_core, "_STOP_RUNNING_SENTINEL", None)
    if raw is None or stop is None:     # closed already, or an aiosqlite without the sentinel
        driver.stop()
        return

    def rollback_and_close() -> object:
        for step in (raw.rollback, raw.close):
            try:
                step()
            except Exception:  # noqa: BLE001,S110 - a connection being thrown away
                pass
        driver._connection = None
        return stop

    driver._running = False
    driver._tx.put_nowait((None, rollback_and_close))
    ending[:] = [t for t in ending if t.is_alive()]
    ending.append(driver._thread)


def _async_url(url: str) -> tuple[URL, str, str | None]:
    """Map sqlite:// and postgresql:// (or postgres://) onto their async drivers."""
    parsed = make_url(url)
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in _DRIVERS:
        raise ValueError(f"unsupported database scheme {parsed.drivername!r}; "
                         f"expected one of {', '.join(SCHEMES)}")
    dialect, async_driver = _DRIVERS[backend]
    if driver and driver != async_driver:
        raise ValueError(f"{dialect} runs on {async_driver}, not {driver}")
    schema = parsed.query.get("schema")
    if isinstance(schema, tuple):
        schema = schema[-1]
    parsed = parsed.difference_update_query(["schema"]).set(
        drivername=f"{dialect}+{async_driver}")
    return parsed, dialect, schema
