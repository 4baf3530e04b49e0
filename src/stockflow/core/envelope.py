"""The response envelope {"data": ..., "meta": {"timestamp", "version"}} built as bytes.

Hot routes splice pre-serialised data into the envelope instead of re-encoding it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

API_VERSION = "v1"


def meta(**extra: Any) -> dict[str, Any]:
    return {"timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "version": API_VERSION, **extra}


def envelope_bytes(data_json: bytes, **meta_extra: Any) -> bytes:
    return b'{"data":' + data_json + b',"meta":' + orjson.dumps(meta(**meta_extra)) + b"}"


def json_response(data: Any, status: int = 200, **meta_extra: Any) -> Response:
    return Response(envelope_bytes(orjson.dumps(data), **meta_extra), status_code=status,
                    media_type="application/json")


def raw_json_response(data_json: bytes, **meta_extra: Any) -> Response:
    return Response(envelope_bytes(data_json, **meta_extra), media_type="application/json")
