"""Opaque cursors for list endpoints (meta.next_cursor / meta.has_more)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from stockflow.core.problems import invalid


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise invalid("cursor is not one this API issued") from None
    if not isinstance(value, dict):
        raise invalid("cursor is not one this API issued")
    return value
