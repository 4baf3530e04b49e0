"""SqlTickStore on SQLite: a tick already stored is skipped, never stored twice, whether it comes
back alone, in a repeated batch, or mixed with new ticks; the count returned is the new rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.pipeline.repository import SqlTickStore, pack_ticks, unpack_rows
from stockflow.pipeline.tables import ticks

T0 = 1_763_737_200_000_000  # 2025-11-21 15:00 UTC in epoch microseconds


@pytest.fixture
async def store(tmp_path):
    db = SqlDatabase(f"sqlite:///{tmp_path / 'ticks.db'}")
    await db.connect()
    await db.migrate()
    yield SqlTickStore(db)
    await db.close()


def tick(seq: int, provider: str = "binance", symbol: str = "BTCUSDT") -> dict:
    return {"provider": provider, "symbol": symbol, "seq": seq, "ticker": "BTC-USD",
            "ts": T0 + seq, "price": 97_000.0 + seq, "size": 0.5, "bid": None, "ask": None,
            "vwap": 97_000.0, "volume": 0.5 * seq}


async def rows_per_identity(store: SqlTickStore) -> dict[tuple[str, str, int], int]:
    stmt = (sa.select(ticks.c.provider, ticks.c.symbol, ticks.c.seq, sa.func.count())
            .group_by(ticks.c.provider, ticks.c.symbol, ticks.c.seq))
    async with store.db.engine.connect() as conn:
        return {(p, s, q): n for p, s, q, n in (await conn.execute(stmt)).all()}


async def test_the_same_batch_twice_is_stored_once(store):
    batch = [tick(1), tick(2), tick(3)]
    assert await store.write_ticks(batch) == 3
    assert await store.write_ticks(batch) == 0
    assert await rows_per_identity(store) == {("binance", "BTCUSDT", s): 1 for s in (1, 2, 3)}


async def test_a_batch_of_seen_and_new_ticks_stores_only_the_new(store):
    assert await store.write_ticks([tick(1), tick(2)]) == 2
    # One identity differs only by symbol, one only by provider: both are new ticks.
    mixed = [tick(2), tick(3), tick(1), tick(2, symbol="ETHUSDT"), tick(1, provider="dhan")]
    assert await store.write_ticks(mixed) == 3
    counts = await rows_per_identity(store)
    assert set(counts.values()) == {1} and len(counts) == 5
    assert await store.counts() == (5, 5)


async def test_redelivered_payload_rows_are_skipped_too(store):
    # The storage worker's path: a processed-tick payload, unpacked with integer times.
    first = unpack_rows(pack_ticks([tick(1), tick(2)]), epoch_micros=True)
    again = unpack_rows(pack_ticks([tick(2), tick(3)]), epoch_micros=True)
    assert await store.write_rows(first) == 2
    assert await store.write_rows(again) == 1
    assert await store.write_rows(first + again) == 0
    assert await store.counts() == (3, 3)
