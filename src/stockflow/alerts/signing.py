"""Webhook signatures per Standard Webhooks v1.

Headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, whose value is
`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, one per secret separated by spaces, so
a receiver keeps verifying while secrets rotate. A secret is `whsec_` + base64 of the key; it is
shown to the user once, at creation. The verifier is the receivers' recipe, and ours in tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as _secrets
from collections.abc import Mapping, Sequence

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
KEY_BYTES = 32
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(ValueError):
    """A signature that does not verify, or input that cannot be signed."""


def generate_secret() -> str:
    return PREFIX + base64.b64encode(_secrets.token_bytes(KEY_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret, with or without its prefix and base64 padding."""
    body = secret.removeprefix(PREFIX)
    try:
        # Libraries hand out unpadded secrets too; b64decode ignores surplus padding.
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the webhook secret is not base64") from exc
    if not key:
        raise SignatureError("the webhook secret is empty")
    return key


def _check_timestamp(timestamp: int | str) -> str:
    text = str(timestamp)
    if isinstance(timestamp, bool) or not _TIMESTAMP.fullmatch(text):
        raise SignatureError(f"invalid webhook timestamp: {text!r}")
    return text


def sign(msg_id: str, timestamp: int | str, body: bytes, secret: str) -> str:
    """One `v1,<base64>` signature of the body bytes exactly as they are sent."""
    if not msg_id or any(c in msg_id for c in ".\r\n "):
        raise SignatureError("a webhook id may not be empty or hold '.', spaces or newlines")
    to_sign = f"{msg_id}.{_check_timestamp(timestamp)}.".encode() + body
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """The three headers for one send, signed with every current secret (rotation)."""
    if not secrets:
        raise SignatureError("a webhook endpoint needs at least one secret")
    return {"webhook-id": msg_id, "webhook-timestamp": _check_timestamp(timestamp),
            "webhook-signature": " ".join(sign(msg_id, timestamp, body, s) for s in secrets)}


def verify(body: bytes, received: Mapping[str, str], secrets: Sequence[str], *, now: float,
           tolerance: int = TOLERANCE_SECONDS) -> str:
    """Check a received webhook; returns its id, raises SignatureError otherwise."""
    lower = {k.lower(): v for k, v in received.items()}
    msg_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    signature = lower.get("webhook-signature", "")
    if not (msg_id and stamp and signature):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not _TIMESTAMP.fullmatch(stamp):
        raise SignatureError("invalid webhook-timestamp")
    if int(stamp) < now - tolerance:
        raise SignatureError("webhook timestamp too old")
    if int(stamp) > now + tolerance:
        raise SignatureError("webhook timestamp too new")
    offered = [part.split(",", 1)[1] for part in signature.split(" ")
               if part.startswith("v1,")]
    for secret in secrets:
        expected = sign(msg_id, stamp, body, secret).split(",", 1)[1]
        if any(hmac.compare_digest(expected.encode(), o.encode()) for o in offered):
            return msg_id
    raise SignatureError("no matching signature")
