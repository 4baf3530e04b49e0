"""Users' pure rules: tiers, their permissions, and which permission each /v1 path needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Tier(StrEnum):
    FREE = "free"
    PRO = "pro"
    ENTERPRISE = "enterprise"


# Permission names follow the seed's RBAC table. "Limited" news and financials for the free
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

_FREE = (READ_QUOTES, READ_NEWS, READ_FINANCIALS)
_PRO = (*_FREE, READ_QUOTES_REALTIME, READ_STREAMS, READ_NEWS_FULL, READ_FINANCIALS_FULL,
        WRITE_ALERTS, READ_PREDICTIONS)
_ENTERPRISE = (*_PRO, WRITE_WEBHOOKS, READ_RAW_DATA)

TIER_PERMISSIONS: dict[Tier, frozenset[str]] = {
    Tier.FREE: frozenset(_FREE),
    Tier.PRO: frozenset(_PRO),
    Tier.ENTERPRISE: frozenset(_ENTERPRISE),
}
ALL_PERMISSIONS = TIER_PERMISSIONS[Tier.ENTERPRISE]


def permissions_for(tier: Tier | str, extra: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    """A tier's permissions plus grants an operator added to one account."""
    return TIER_PERMISSIONS[Tier(tier)] | frozenset(extra)


# What a /v1 path needs, by path prefix, longest first. Prefixes rather than route templates
# because the edge decides before routing, for the fast path and streams alike; a prefix also
# covers routes that later services add under it.
PUBLIC = "public"            # anyone, even with anonymous access off (sign-up, sign-in)
ACCOUNT = "account"          # a signed-in user, whatever the tier
ROUTE_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("/v1/auth/register", PUBLIC),
    ("/v1/auth/login", PUBLIC),
    ("/v1/auth/refresh", PUBLIC),
    ("/v1/auth/logout", PUBLIC),  # the refresh token in the body is the credential
    ("/v1/users", ACCOUNT),
    ("/v1/watchlists", ACCOUNT),
    ("/v1/portfolios", ACCOUNT),
    ("/v1/stream/quotes", READ_STREAMS),
    ("/v1/stream/news", READ_STREAMS),
    ("/v1/quotes", READ_QUOTES),
    ("/v1/historical", READ_QUOTES),
    ("/v1/crypto", READ_QUOTES),
    ("/v1/news", READ_NEWS),
    ("/v1/financials", READ_FINANCIALS),
    ("/v1/alerts", WRITE_ALERTS),
    ("/v1/predict", READ_PREDICTIONS),
    ("/v1/analyze", READ_PREDICTIONS),
    ("/v1/webhooks", WRITE_WEBHOOKS),
    ("/v1/raw", READ_RAW_DATA),
)


_BY_PREFIX = dict(ROUTE_PERMISSIONS)
# Every prefix is two or three segments ("/v1/quotes", "/v1/auth/login"), so a path is looked up
# by its first three, then its first two segments: two dict probes on every request, not a scan.
assert all(p.count("/") in (2, 3) for p in _BY_PREFIX)


def required_permission(path: str) -> str | None:
    """The permission a /v1 path needs; None means any caller the edge admits may call it."""
    parts = path.split("/", 4)
    if len(parts) >= 4:
        found = _BY_PREFIX.get("/".join(parts[:4]))
        if found is not None:
            return found
    return _BY_PREFIX.get("/".join(parts[:3])) if len(parts) >= 3 else None


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    password_hash: str
    full_name: str | None
    tier: Tier
    permissions: tuple[str, ...]   # extra grants on top of the tier's
    created_at: datetime
    updated_at: datetime

    @property
    def effective_permissions(self) -> frozenset[str]:
        return permissions_for(self.tier, self.permissions)

    def to_wire(self) -> dict[str, object]:
        return {"id": self.id, "email": self.email, "full_name": self.full_name,
                "tier": self.tier.value, "permissions": sorted(self.effective_permissions),
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


_TICKER = re.compile(r"^[A-Za-z0-9.\-/^=]{1,20}$")


def is_ticker(value: str) -> bool:
    return _TICKER.fullmatch(value) is not None
