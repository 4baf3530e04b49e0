"""The batch frame of the RabbitMQ bus: several encoded events carried as one AMQP message.

Body: for each event, its length as 4 bytes big-endian, then its JSON bytes (as
`Event.to_bytes` gives them). The message says so by its content type, `BATCH_CONTENT_TYPE`,
and its `x-stockflow-events` header gives the count. A message of any other content type is
one event, as published before batches existed, so consumers read both.

Why frames and not a JSON array: a consumer splits the body without parsing it, so one event
that does not parse is dead-lettered alone and the others are handled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

BATCH_CONTENT_TYPE = "application/vnd.stockflow.event-batch"
EVENT_CONTENT_TYPE = "application/json"
COUNT_HEADER = "x-stockflow-events"
_PREFIX = 4
_MAX_FRAME = (1 << 32) - 1


class FrameError(ValueError):
    """A batch body whose frames do not add up (truncated or not a batch at all)."""


def pack(raws: Iterable[bytes]) -> bytes:
    out = bytearray()
    for raw in raws:
        if len(raw) > _MAX_FRAME:
            raise ValueError(f"event of {len(raw)} bytes does not fit a frame")
        out += len(raw).to_bytes(_PREFIX, "big")
        out += raw
    return bytes(out)


def unpack(body: bytes) -> list[bytes]:
    view = memoryview(body)
    raws: list[bytes] = []
    at = 0
    while at < len(view):
        if at + _PREFIX > len(view):
            raise FrameError(f"truncated length prefix at byte {at} of {len(view)}")
        size = int.from_bytes(view[at:at + _PREFIX], "big")
        at += _PREFIX
        if at + size > len(view):
            raise FrameError(f"frame of {size} bytes at byte {at} overruns the {len(view)}-byte "
                             "body")
        raws.append(bytes(view[at:at + size]))
        at += size
    return raws


def group(items: Iterable[tuple[T, bytes]], max_bytes: int, max_events: int,
          ) -> Iterator[list[tuple[T, bytes]]]:
    """Consecutive runs of (tag, encoded event), each at most `max_events` long and closed
    before it would pass `max_bytes` (an event larger than that travels alone). Order is kept;
    the tags (event ids, say) ride along untouched."""
    run: list[tuple[T, bytes]] = []
    size = 0
    for item in items:
        if run and (size + len(item[1]) > max_bytes or len(run) >= max_events):
            yield run
            run, size = [], 0
        run.append(item)
        size += len(item[1]) + _PREFIX
    if run:
        yield run
