"""Test helper for suites that need a real server (PostgreSQL, Redis, ...) named by an env var."""

from __future__ import annotations

import os


def require_service_url(env_var: str, name: str) -> str:
    """Return the service URL from `env_var`, or skip the test with a visible reason.

    On CI (env CI=true) a missing URL fails the test instead: a CI job that silently skips its
    PostgreSQL suite would report green while testing nothing.
    """
    url = os.environ.get(env_var, "").strip()
    if url:
        return url
    skip_or_fail(f"{name} not configured: set {env_var} to run these tests")
    raise AssertionError("unreachable")


def skip_or_fail(reason: str) -> None:
    """Skip with `reason`, except on CI (CI=true), where what a test needs must be there."""
    import pytest  # imported here so the package itself never needs pytest

    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: a missing dependency fails instead of skipping)",
                    pytrace=False)
    pytest.skip(reason)
