"""Who is calling: the principal the edge resolves once per request and every layer reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str            # the user id, or "ip:<address>" for an anonymous caller
    tier: str
    permissions: frozenset[str]
    email: str | None = None
    anonymous: bool = False
    # From the access token, for revocation: its id, its session (the refresh-token family),
    # when it was issued and when it expires (Unix seconds).
    token_id: str | None = None
    session_id: str | None = None
    issued_at: float = 0.0
    expires_at: float | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def principal_of(scope: Any) -> Principal | None:
    """The principal the edge stored in an ASGI scope (or a Starlette Request/WebSocket)."""
    state = scope.get("state") if isinstance(scope, dict) else getattr(scope, "scope", {}).get(
        "state")
    return state.get("principal") if state else None


class TokenWatch(Protocol):
    """Offered by the users context to whatever holds a connection open on a token."""

    async def until_invalid(self, principal: Principal) -> str:
        """Return, with the reason, once the principal's token expires or is revoked."""
        ...
