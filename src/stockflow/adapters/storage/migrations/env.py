"""Alembic environment: runs on a connection handed over by SqlDatabase.migrate() (async recipe).

Without one (a hand-made alembic.ini with `sqlalchemy.url`), it opens its own SqlDatabase.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from stockflow.core.sql import metadata

config = context.config


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables in future revisions.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone(url: str) -> None:
    from stockflow.adapters.storage.database import SqlDatabase

    db = SqlDatabase(url)
    await db.connect()
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(do_run_migrations)
    finally:
        await db.close()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    asyncio.run(run_standalone(url))


if context.is_offline_mode():
    raise RuntimeError("offline (SQL-script) mode is unsupported; use `stockflow db upgrade`")
run_migrations_online()
