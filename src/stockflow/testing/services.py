"""Test helper for suites that need a real server (PostgreSQL, Redis, ...) named by an env var."""

from __future__ import annotations

import os


def require_service_url(env_var: str, name: str) -> str:
    """Return the service URL from `env_var`, or skip the test with a visible reason.

    On CI (env CI=true) a missing URL fails the test instead: a CI job that silently skips its
    PostgreSQL suite would report green while testing nothing.
    """
    import pytest  # imported here so the package itself never needs pytest

    url = os.environ.get(env_var, "").strip()
    if url:
        return url
    reason = f"{name} not configured: set {env_var} to run these tests"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: a missing service fails instead of skipping)",
                    pytrace=False)
    pytest.skip(reason)
