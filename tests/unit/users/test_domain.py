"""Tiers, permissions and the path table the edge enforces."""

from __future__ import annotations

import pytest

from stockflow.core.permissions import ACCOUNT, PUBLIC, Guard, PermissionTable
from stockflow.users.domain import TIER_PERMISSIONS, Tier, permissions_for


def test_each_tier_contains_the_one_below():
    assert TIER_PERMISSIONS[Tier.FREE] < TIER_PERMISSIONS[Tier.PRO] \
        < TIER_PERMISSIONS[Tier.ENTERPRISE]
    assert "read:quotes:realtime" not in TIER_PERMISSIONS[Tier.FREE]
    assert {"write:webhooks", "read:raw-data"} <= TIER_PERMISSIONS[Tier.ENTERPRISE] \
        - TIER_PERMISSIONS[Tier.PRO]
    assert "write:webhooks" in permissions_for("pro", ["write:webhooks"])


def test_paths_map_to_permissions_by_segment(tmp_path):
    from stockflow.bootstrap import bootstrap
    from tests.conftest import make_settings

    required_permission = bootstrap(make_settings(tmp_path)).registry.permissions.required
    assert required_permission("/v1/auth/login") == PUBLIC
    assert required_permission("/v1/watchlists/abc") == ACCOUNT
    assert required_permission("/v1/stream/quotes") == "read:streams"
    assert required_permission("/v1/quotes/NVDA") == "read:quotes"
    assert required_permission("/v1/quotes") == "read:quotes"
    assert required_permission("/v1/market-status") == "read:quotes"
    # A prefix matches whole segments only, and what no context declares has no permission.
    assert required_permission("/v1/quotesx") is None
    assert required_permission("/v1/undeclared/1/history") is None
    assert required_permission("/internal/metrics") is None


def test_the_longest_declaration_wins_and_conflicts_are_refused():
    table = PermissionTable([Guard("/v1/a", "x"), Guard("/v1/a/b/c", "y")])
    assert table.required("/v1/a/b") == "x"
    assert table.required("/v1/a/b/c/d") == "y"
    with pytest.raises(ValueError, match="declared twice"):
        PermissionTable([Guard("/v1/a", "x"), Guard("/v1/a", "y")])
    for outside in ("/other/x", "/api/admin/x", "/api/health", "/v1/a/"):
        with pytest.raises(ValueError, match="must start with"):
            Guard(outside, "x")
    assert Guard("/api/signals", "x").prefix == "/api/signals"  # the signal engine's mirror
