"""Who may call what: the permission names every context declares its routes with, and the
table the edge compiles from those declarations. Refused by default: a /v1, /internal or /api
path that no context declared is refused, never open. /api/admin/* (the controller's, behind
X-API-Key) and /api/health (the public health summary) are the edge's exceptions under /api.

Declarations are path prefixes, not route templates, because the edge decides before routing
(for the fast path and WebSocket handshakes alike); a prefix also covers the parameterised
routes under it. The longest declared prefix wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Permission names follow seed 002's RBAC table. "Limited" news and financials for the free
# tier: it holds read:news / read:financials but not their :full forms, which those services
# check for the complete answer.
READ_QUOTES = "read:quotes"
READ_QUOTES_REALTIME = "read:quotes:realtime"
READ_STREAMS = "read:streams"
READ_NEWS = "read:news"
READ_NEWS_FULL = "read:news:full"
READ_FINANCIALS = "read:financials"
READ_FINANCIALS_FULL = "read:financials:full"
WRITE_ALERTS = "write:alerts"
READ_PREDICTIONS = "read:predictions"
WRITE_WEBHOOKS = "write:webhooks"
READ_RAW_DATA = "read:raw-data"

PUBLIC = "public"        # anyone, even with anonymous access off (sign-up, sign-in)
ACCOUNT = "account"      # a signed-in user, whatever the tier
OPERATOR = "operator"    # the operator's key (X-API-Key, the controller's key): /internal/*

GUARDED = ("/v1/", "/internal/", "/api/")
# Under /api (seed 000's ingress sends GET /api/* to the signal engine) the controller keeps its
# own routes: /api/admin/* checks the operator key itself, /api/health answers everyone.
UNGUARDED = ("/api/admin/", "/api/health/")
UNGUARDED_PATHS = frozenset({"/api/admin", "/api/health"})


@dataclass(frozen=True, slots=True)
class Guard:
    """A declaration beside a context's routes: what every path under `prefix` needs."""

    prefix: str
    needs: str

    def __post_init__(self) -> None:
        if not is_guarded(self.prefix) or self.prefix.endswith("/"):
            raise ValueError(f"guard prefix {self.prefix!r} must start with /v1/, /internal/ or "
                             "/api/ (not /api/admin or /api/health) and not end with a slash")


class PermissionTable:
    """The compiled declarations. A lookup probes the path's first N segments, longest first,
    so its cost is bounded by the deepest declaration, whatever the number of routes."""

    def __init__(self, guards: Iterable[Guard]) -> None:
        self._by_prefix: dict[str, str] = {}
        for g in guards:
            known = self._by_prefix.get(g.prefix)
            if known is not None and known != g.needs:
                raise ValueError(f"{g.prefix} is declared twice: {known} and {g.needs}")
            self._by_prefix[g.prefix] = g.needs
        self._depths = sorted({p.count("/") for p in self._by_prefix}, reverse=True)

    @property
    def declared(self) -> dict[str, str]:
        return dict(self._by_prefix)

    def required(self, path: str) -> str | None:
        """The permission a guarded path needs; None when nothing declares it (refuse)."""
        parts = path.split("/")
        for depth in self._depths:
            if len(parts) > depth:
                found = self._by_prefix.get("/".join(parts[:depth + 1]))
                if found is not None:
                    return found
        return None


def is_guarded(path: str) -> bool:
    return (path.startswith(GUARDED) and path not in UNGUARDED_PATHS
            and not path.startswith(UNGUARDED))
