"""A migrated SQLite database for the signal engine's stores."""

from __future__ import annotations

import pytest

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.contexts import modules


@pytest.fixture
async def db(tmp_path):
    database = SqlDatabase(f"sqlite:///{tmp_path / 'signals.db'}")
    await database.connect()
    try:
        await database.migrate([m.migrations for m in modules() if m.migrations])
        yield database
    finally:
        await database.close()
