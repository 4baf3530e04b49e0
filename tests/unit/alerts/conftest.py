"""The alerts repository on a fresh SQLite file, its schema built by the alerts migrations."""

from __future__ import annotations

import pytest

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.alerts.repository import SqlAlertRepository


@pytest.fixture
async def repo(tmp_path):
    db = SqlDatabase(f"sqlite:///{tmp_path / 'a.db'}")
    await db.connect()
    await db.migrate(["stockflow.alerts.migrations"])
    yield SqlAlertRepository(db)
    await db.close()
