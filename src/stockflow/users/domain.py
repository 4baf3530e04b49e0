"""Users' pure rules: tiers and the permissions each tier holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stockflow.core.permissions import (
    READ_FINANCIALS,
    READ_FINANCIALS_FULL,
    READ_NEWS,
    READ_NEWS_FULL,
    READ_PREDICTIONS,
    READ_QUOTES,
    READ_QUOTES_REALTIME,
    READ_RAW_DATA,
    READ_STREAMS,
    WRITE_ALERTS,
    WRITE_WEBHOOKS,
)


class Tier(StrEnum):
    FREE = "free"
    PRO = "pro"
    ENTERPRISE = "enterprise"


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
