"""X-API-Key authentication for every /api/admin/* route (seed 000's controller).

The key is compared in constant time. A key in the query string is refused outright: URLs end up
in access logs, proxies and browser history, so accepting one there would leak the key.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from stockflow.core.problems import TYPE_BASE, Problem

HEADER = "x-api-key"
QUERY_NAMES = frozenset({"api_key", "apikey", "x-api-key", "x_api_key", "key"})


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, type_=TYPE_BASE + "unauthorized",
                   headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})


def check_admin_key(configured: str | None, presented: str | None,
                    query_names: set[str] | frozenset[str] = frozenset()) -> None:
    """Raise 401 unless `presented` equals the configured key. No configured key: nobody is
    admitted, so a controller without SF_API_KEY is closed, never open."""
    if query_names & QUERY_NAMES:
        raise unauthorized("the API key belongs in the X-API-Key header, never in the URL")
    if not presented:
        raise unauthorized("X-API-Key header is required")
    if not configured or not hmac.compare_digest(presented.encode(), configured.encode()):
        raise unauthorized("invalid API key")


async def require_admin(request: Request) -> None:
    """FastAPI dependency on the admin router: every /api/admin/* route goes through it."""
    key = request.app.state.container.settings.control.api_key
    configured = key.get_secret_value() if key is not None else None
    check_admin_key(configured, request.headers.get(HEADER),
                    {name.lower() for name in request.query_params})
