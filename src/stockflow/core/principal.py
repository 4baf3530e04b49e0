"""Who is calling: the principal the edge resolves once per request and every layer reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str            # the user id, or "ip:<address>" for an anonymous caller
    tier: str
    permissions: frozenset[str]
    email: str | None = None
    anonymous: bool = False

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def principal_of(scope: Any) -> Principal | None:
    """The principal the edge stored in an ASGI scope (or a Starlette Request/WebSocket)."""
    state = scope.get("state") if isinstance(scope, dict) else getattr(scope, "scope", {}).get(
        "state")
    return state.get("principal") if state else None
