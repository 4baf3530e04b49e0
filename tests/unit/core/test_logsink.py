"""Log output: batched per loop iteration, access lines shaped as structlog would write them."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import orjson

from stockflow.core.logging import access_logger, configure_logging, get_logger
from stockflow.core.logsink import LineSink, UtcIso


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)


def _line(record: int) -> bytes:
    return f"record {record}".encode()


def test_outside_a_loop_everything_is_written_at_once():
    stream = CountingStream()
    sink = LineSink(stream)
    sink.write(b"one")
    sink.write_record(_line, 2)
    assert stream.getvalue() == "one\nrecord 2\n"


async def test_in_a_loop_records_wait_for_the_next_iteration_and_go_out_together():
    stream = CountingStream()
    sink = LineSink(stream)
    for i in range(5):
        sink.write_record(_line, i)
    assert stream.getvalue() == ""
    await asyncio.sleep(0)
    assert stream.getvalue().splitlines() == [f"record {i}" for i in range(5)]
    assert stream.writes == 1


async def test_a_plain_line_is_written_at_once_after_the_queued_records():
    stream = CountingStream()
    sink = LineSink(stream)
    sink.write_record(_line, 1)
    sink.write(b"crash drill: exiting")  # e.g. right before os._exit: must not wait
    assert stream.getvalue().splitlines() == ["record 1", "crash drill: exiting"]
    await asyncio.sleep(0)
    assert stream.getvalue().splitlines() == ["record 1", "crash drill: exiting"]


def test_a_loop_that_closed_before_flushing_does_not_strand_later_records():
    stream = CountingStream()
    sink = LineSink(stream)
    dead = asyncio.new_event_loop()

    def write_and_stop() -> None:
        sink.write_record(_line, 1)  # queues a flush for the next iteration, which never comes
        dead.stop()

    dead.call_soon(write_and_stop)
    dead.run_forever()
    dead.close()
    assert stream.getvalue() == ""

    async def write_and_yield() -> None:
        sink.write_record(_line, 2)
        await asyncio.sleep(0)

    asyncio.run(write_and_yield())
    assert stream.getvalue().splitlines() == ["record 1", "record 2"]


def test_utc_iso_matches_structlogs_iso_utc_format():
    stamp = UtcIso()
    for at in [datetime(2026, 11, 22, 7, 50, 16, 69_980, tzinfo=UTC),
               datetime(2026, 11, 22, 7, 50, 17, tzinfo=UTC),  # isoformat drops a zero fraction
               datetime(2026, 11, 22, 7, 50, 17, 1, tzinfo=UTC)]:
        ns = int(at.timestamp()) * 1_000_000_000 + at.microsecond * 1000
        assert stamp(ns) == at.isoformat().replace("+00:00", "Z")


async def test_access_line_has_the_keys_and_order_of_a_structlog_line():
    out = io.StringIO()
    configure_logging("INFO", json_logs=True, stream=out)
    try:
        fields = {"request_id": "r1", "method": "GET", "route": "/v1/quotes/{ticker}",
                  "path": "/v1/quotes/NVDA", "status": 200, "duration_ms": 1.5}
        get_logger("stockflow.access").info("request", **fields)
        write = access_logger()
        assert write is not None
        write("r1", "GET", "/v1/quotes/{ticker}", "/v1/quotes/NVDA", 200, 0.0015)
        await asyncio.sleep(0)
    finally:
        configure_logging("WARNING")
    via_structlog, direct = (orjson.loads(line) for line in out.getvalue().splitlines())
    assert list(direct) == list(via_structlog)
    via_structlog.pop("timestamp"), direct.pop("timestamp")
    assert direct == via_structlog


def test_no_access_logger_when_info_is_filtered_out():
    configure_logging("WARNING", stream=io.StringIO())
    assert access_logger() is None


def test_console_mode_access_lines_go_through_structlog():
    out = io.StringIO()
    configure_logging("INFO", json_logs=False, stream=out)
    try:
        write = access_logger()
        assert write is not None
        write("r2", "GET", "/health", "/health", 200, 0.001)
    finally:
        configure_logging("WARNING")
    assert "request" in out.getvalue() and "request_id=r2" in out.getvalue()
