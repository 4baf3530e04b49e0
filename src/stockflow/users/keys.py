"""The RS256 key ring: the first key signs, every key verifies; kid is the RFC 7638 thumbprint.

With no key configured (development), one is generated into the data folder (mode 0600) so
tokens survive a restart; production refuses to start without configured keys (settings.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stockflow.core.secretfile import read_or_create

KEY_FILE = Path("keys") / "jwt-signing-key.pem"
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    jwk: dict[str, str]


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e)}


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, lexicographic order, no whitespace."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"),
                           sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def load_key(pem: str | bytes) -> SigningKey:
    data = pem.encode() if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signing keys must be RSA private keys (RS256)")  # noqa: TRY004
    if key.key_size < MIN_RSA_BITS:
        raise ValueError(f"RSA signing keys need at least {MIN_RSA_BITS} bits")
    public = key.public_key()
    jwk = public_jwk(public)
    kid = thumbprint(jwk)
    return SigningKey(kid=kid, private_key=key, public_key=public,
                      jwk={**jwk, "kid": kid, "use": "sig", "alg": "RS256"})


def generate_pem(bits: int = 2048) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def development_key(data_dir: Path) -> bytes:
    """The data folder's own signing key, created on first use with owner-only permissions."""
    return read_or_create(data_dir / KEY_FILE, generate_pem)[0]


class KeyRing:
    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.keys = keys
        self.signing = keys[0]
        self.by_kid = {k.kid: k for k in keys}

    @classmethod
    def from_pems(cls, pems: list[str | bytes]) -> KeyRing:
        return cls([load_key(p) for p in pems])

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk for k in self.keys]}
