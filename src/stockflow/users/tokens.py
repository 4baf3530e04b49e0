"""Access tokens (JWT RS256, RFC 9068 "at+jwt") and opaque refresh tokens.

Verification pins RS256, requires exp, iat, iss, aud and sub, checks the header's typ and kid
before any signature work, and refuses everything else with one exception type.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jwt
import orjson

from stockflow.core.principal import Principal
from stockflow.users.domain import ALL_PERMISSIONS, Tier
from stockflow.users.keys import KeyRing

ALGORITHM = "RS256"
ACCESS_TYPE = "at+jwt"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
_CACHE_SIZE = 10_000


class InvalidToken(Exception):
    """Any refusal; the message says why (logged, and shown as the 401's detail)."""


class TokenService:
    def __init__(self, *, issuer: str, audience: str, access_ttl: int, leeway: int,
                 now: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = access_ttl
        self.leeway = leeway
        self.now = now
        self._ring: KeyRing | None = None
        self._jwks = b'{"keys":[]}'
        # token -> (principal, exp). Only tokens that passed full verification enter, and exp is
        # checked on every hit, so a hit is as strict as a verification for a fraction of the
        # cost (an RSA verification is tens of microseconds on every authenticated request).
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @property
    def ring(self) -> KeyRing:
        if self._ring is None:
            raise RuntimeError("no signing keys loaded; the container has not started")
        return self._ring

    def use_keys(self, ring: KeyRing) -> None:
        self._ring = ring
        self._jwks = orjson.dumps(ring.jwks())
        self._verified.clear()  # a key removed from the ring must stop verifying at once

    def jwks_bytes(self) -> bytes:
        return self._jwks

    def issue(self, *, user_id: str, email: str, tier: str, permissions: frozenset[str],
              session_id: str | None = None) -> tuple[str, int]:
        # A user's "not before" must tell a token issued just before a password change from one
        # issued just after, in the same second: hence iat_ms. iat itself stays whole seconds,
        # which strict verifiers compare with their own truncated clock.
        at = self.now()
        now = int(at)
        claims = {"iss": self.issuer, "aud": self.audience, "sub": user_id, "email": email,
                  "tier": tier, "permissions": sorted(permissions), "iat": now,
                  "iat_ms": int(at * 1000), "exp": now + self.access_ttl,
                  "jti": uuid.uuid4().hex}
        if session_id is not None:
            claims["sid"] = session_id
        key = self.ring.signing
        token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM,
                           headers={"kid": key.kid, "typ": ACCESS_TYPE})
        return token, self.access_ttl

    def verify(self, token: str) -> Principal:
        principal = self.remembered(token)
        return principal if principal is not None else self.verify_new(token)

    def remembered(self, token: str) -> Principal | None:
        """The principal of a token verified before, or None when this one is new here."""
        hit = self._verified.get(token)
        if hit is None:
            return None
        principal, exp = hit
        if self.now() < exp + self.leeway:
            return principal
        del self._verified[token]
        raise InvalidToken("token has expired")

    def verify_new(self, token: str) -> Principal:
        principal, exp = self._verify(token)
        self._verified[token] = (principal, exp)
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("token is not a JWT") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        if header.get("typ") != ACCESS_TYPE:
            raise InvalidToken("not an access token")
        key = self.ring.by_kid.get(header.get("kid", ""))
        if key is None:
            raise InvalidToken("unknown signing key")
        try:
            # Times are checked below against this service's clock rather than PyJWT's.
            claims = jwt.decode(token, key.public_key, algorithms=[ALGORITHM],
                                audience=self.audience, issuer=self.issuer,
                                options={"require": REQUIRED_CLAIMS, "verify_exp": False,
                                         "verify_iat": False, "verify_nbf": False})
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"token refused: {exc}") from None
        self._check_times(claims)
        return _principal(claims, self.leeway), float(claims["exp"])

    def _check_times(self, claims: dict[str, Any]) -> None:
        now, leeway = self.now(), self.leeway
        times = [claims.get(name) for name in ("exp", "iat", "nbf")]
        if not all(isinstance(t, int | float) and not isinstance(t, bool)
                   for t in times if t is not None):
            raise InvalidToken("token times must be numbers")
        exp, iat, nbf = times
        if now >= exp + leeway:
            raise InvalidToken("token has expired")
        if iat > now + leeway:
            raise InvalidToken("token refused: not yet valid (iat)")
        if nbf is not None and nbf > now + leeway:
            raise InvalidToken("token refused: not yet valid (nbf)")


def _principal(claims: dict[str, Any], leeway: float) -> Principal:
    tier, permissions, email = claims.get("tier"), claims.get("permissions"), claims.get("email")
    jti, sid, iat_ms = claims.get("jti"), claims.get("sid"), claims.get("iat_ms")
    if not isinstance(jti, str | None) or not isinstance(sid, str | None):
        raise InvalidToken("token or session id is malformed")
    if not isinstance(iat_ms, int | None) or isinstance(iat_ms, bool):
        raise InvalidToken("token issue time is malformed")
    issued_at = claims["iat"] if iat_ms is None else iat_ms / 1000
    if tier not in Tier.__members__.values():
        raise InvalidToken("token names no known tier")
    if not isinstance(permissions, list) or not set(permissions) <= ALL_PERMISSIONS:
        raise InvalidToken("token carries unknown permissions")
    if not isinstance(claims["sub"], str) or not isinstance(email, str):
        raise InvalidToken("token subject or email is malformed")
    # expires_at is when this verifier stops accepting the token: exp plus the leeway.
    return Principal(subject=claims["sub"], tier=tier, permissions=frozenset(permissions),
                     email=email, token_id=jti, session_id=sid, issued_at=float(issued_at),
                     expires_at=float(claims["exp"]) + leeway)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_digest(token: str) -> str:
    """Stored instead of the token: a leaked table cannot be replayed. SHA-256 suffices, the
    token is 256 random bits, not a password."""
    return hashlib.sha256(token.encode()).hexdigest()
