"""The response envelope {"data": ..., "meta": {"timestamp", "version"}} built as bytes.

Hot routes splice pre-serialised data into the envelope instead of re-encoding it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

API_VERSION = "v1"
JSON_CONTENT_TYPE = "application/json"


def meta(**extra: Any) -> dict[str, Any]:
    return {"timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "version": API_VERSION, **extra}


class _MetaFragment:
    """The plain meta object as JSON bytes, rebuilt once per millisecond.

    The timestamp has millisecond precision, so every response within one millisecond carries
    the same meta bytes; at tens of thousands of requests a second this saves a datetime, an
    isoformat and an orjson call on nearly every one.
    """

    def __init__(self) -> None:
        # One attribute, swapped whole, so a thread never pairs a millisecond with other bytes.
        self._cached: tuple[int, bytes] = (-1, b"")

    def __call__(self) -> bytes:
        ms = time.time_ns() // 1_000_000
        cached_ms, fragment = self._cached
        if ms != cached_ms:
            # Integer arithmetic: a float timestamp could round to the neighbouring millisecond.
            at = datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=ms % 1000 * 1000)
            fragment = orjson.dumps({"timestamp": at.isoformat(timespec="milliseconds"),
                                     "version": API_VERSION})
            self._cached = (ms, fragment)
        return fragment


meta_fragment = _MetaFragment()


def envelope_bytes(data_json: bytes, **meta_extra: Any) -> bytes:
    meta_json = orjson.dumps(meta(**meta_extra)) if meta_extra else meta_fragment()
    # One join copies the (possibly large) data once; chained `+` would copy it per operand.
    return b"".join((b'{"data":', data_json, b',"meta":', meta_json, b"}"))


def json_response(data: Any, status: int = 200, **meta_extra: Any) -> Response:
    return Response(envelope_bytes(orjson.dumps(data), **meta_extra), status_code=status,
                    media_type=JSON_CONTENT_TYPE)


def raw_json_response(data_json: bytes, **meta_extra: Any) -> Response:
    return Response(envelope_bytes(data_json, **meta_extra), media_type=JSON_CONTENT_TYPE)
