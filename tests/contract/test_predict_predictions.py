"""PredictionStore contract on memory, SQLite and PostgreSQL (a schema per test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stockflow.predict.ports import InMemoryPredictions, Prediction
from stockflow.predict.repository import SqlPredictionStore
from tests.contract.conftest import MIGRATIONS

T0 = datetime(2025, 11, 21, 22, 0, tzinfo=UTC)


async def _sql(database) -> SqlPredictionStore:
    # The contexts' own migration branches make the table, as at start (all of them: the
    # version table already names every branch's head).
    await database.migrate(MIGRATIONS)
    return SqlPredictionStore(database)


def _rows(at: datetime, version: str, base: float) -> list[Prediction]:
    return [Prediction("AAPL", "price", h, base + h, base + h - 1, base + h + 1, version,
                       ("close", "volume"), at) for h in (3, 1, 2)]


async def check_latest_batch_in_horizon_order(predictions) -> None:
    assert await predictions.latest("AAPL", "price") == []
    await predictions.save(_rows(T0, "price/AAPL/v1", 100.0))
    await predictions.save(_rows(T0 + timedelta(days=1), "price/AAPL/v2", 200.0))
    await predictions.save([Prediction("AAPL", "volatility", 1, 0.02, None, None, "v", (), T0)])
    got = await predictions.latest("AAPL", "price")
    assert [p.horizon for p in got] == [1, 2, 3]
    assert [p.value for p in got] == [201.0, 202.0, 203.0]
    assert got[0].model_version == "price/AAPL/v2" and got[0].features == ("close", "volume")
    assert got[0].generated_at == T0 + timedelta(days=1)
    vol = await predictions.latest("AAPL", "volatility")
    assert vol[0].lower is None and vol[0].value == 0.02
    assert await predictions.latest("MSFT", "price") == []


async def test_memory_latest_batch() -> None:
    await check_latest_batch_in_horizon_order(InMemoryPredictions())


async def test_sql_latest_batch(database) -> None:    # SQLite and PostgreSQL, from conftest
    await check_latest_batch_in_horizon_order(await _sql(database))


async def test_sql_rerun_replaces_and_nan_is_stored_as_null(database) -> None:
    store = await _sql(database)
    await store.save(_rows(T0, "v1", 100.0))
    await store.save(_rows(T0, "v1b", 500.0))           # the same batch instant, rerun
    await store.save([Prediction("KO", "price", 1, float("nan"), None, float("inf"), "v", (),
                                 T0)])
    assert [p.value for p in await store.latest("AAPL", "price")] == [501.0, 502.0, 503.0]
    ko = (await store.latest("KO", "price"))[0]
    assert ko.value is None and ko.upper is None
