"""market.ticks.processed on the wire: columnar payloads, and the dict-per-tick shape of earlier
versions that storage still reads."""

from __future__ import annotations

import orjson
import pytest

from stockflow.core.catalogue import PROCESSED_TICKS
from stockflow.core.events import Event, make_event
from stockflow.pipeline.handlers import processed_rows
from stockflow.pipeline.processor import TickProcessor
from stockflow.pipeline.repository import pack_ticks, tick_row, unpack_rows

PROCESSED = PROCESSED_TICKS.name

T0 = 1_763_737_200_000_000


def processed(n: int) -> list[dict]:
    raw = [{"provider": "binance", "symbol": "BTCUSDT", "seq": i, "ts": T0 + i, "price": 100.0 + i,
            "size": 1 + i % 3, "bid": 99.0 if i % 2 else None, "ask": 101.0 if i % 2 else None}
           for i in range(n)]
    ticks = TickProcessor().process(raw, T0 + 10_000_000).processed
    assert len(ticks) == n
    return ticks


def test_columnar_payload_gives_the_rows_of_the_ticks_after_a_trip_over_the_wire() -> None:
    ticks = processed(7)
    event = Event.from_bytes(make_event(PROCESSED, pack_ticks(ticks)).to_bytes())
    assert unpack_rows(event.data) == [tick_row(t) for t in ticks]
    assert processed_rows([event]) == [tick_row(t) for t in ticks]


def test_empty_batch_round_trips() -> None:
    assert unpack_rows(orjson.loads(orjson.dumps(pack_ticks([])))) == []


def test_storage_still_reads_events_with_a_list_of_tick_dicts() -> None:
    ticks = processed(3)
    old = make_event(PROCESSED, {"ticks": ticks})
    new = make_event(PROCESSED, pack_ticks(ticks))
    assert processed_rows([old, new]) == [tick_row(t) for t in ticks] * 2


@pytest.mark.parametrize("data", [
    {},
    {"ticks": "nope"},
    {"columns": []},
    {"columns": {"provider": ["p"]}},                                 # columns missing
    {"columns": {**pack_ticks(processed(2))["columns"], "seq": [1]}},  # ragged
])
def test_malformed_payloads_raise_value_error(data: dict) -> None:
    with pytest.raises(ValueError):
        processed_rows([make_event(PROCESSED, data)])
