"""Tiers, permissions and the path table the edge enforces."""

from __future__ import annotations

from stockflow.users.domain import (
    ACCOUNT,
    PUBLIC,
    TIER_PERMISSIONS,
    Tier,
    permissions_for,
    required_permission,
)


def test_each_tier_contains_the_one_below():
    assert TIER_PERMISSIONS[Tier.FREE] < TIER_PERMISSIONS[Tier.PRO] \
        < TIER_PERMISSIONS[Tier.ENTERPRISE]
    assert "read:quotes:realtime" not in TIER_PERMISSIONS[Tier.FREE]
    assert {"write:webhooks", "read:raw-data"} <= TIER_PERMISSIONS[Tier.ENTERPRISE] \
        - TIER_PERMISSIONS[Tier.PRO]
    assert "write:webhooks" in permissions_for("pro", ["write:webhooks"])


def test_paths_map_to_permissions_by_segment():
    assert required_permission("/v1/auth/login") == PUBLIC
    assert required_permission("/v1/watchlists/abc") == ACCOUNT
    assert required_permission("/v1/stream/quotes") == "read:streams"
    assert required_permission("/v1/quotes/NVDA") == "read:quotes"
    assert required_permission("/v1/quotes") == "read:quotes"
    assert required_permission("/v1/alerts/1/history") == "write:alerts"
    # A prefix matches whole segments only.
    assert required_permission("/v1/quotesx") is None
    assert required_permission("/v1/market-status") is None
