"""The operator's key (seed 000's X-API-Key, `SF_API_KEY`): it opens /api/admin/* and
/internal/*. Compared in constant time; a key in the query string is refused outright, since
URLs end up in access logs, proxies and browser history. With no key configured nobody is
admitted: a controller without a key is closed, never open.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from stockflow.core.problems import TYPE_BASE, Problem
from stockflow.core.redact import add_secret

HEADER = "x-api-key"
QUERY_NAMES = frozenset({"api_key", "apikey", "x-api-key", "x_api_key", "key"})


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, type_=TYPE_BASE + "unauthorized",
                   headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})


class OperatorKey:
    def __init__(self, configured: str | None) -> None:
        self._configured = configured.encode() if configured else None
        add_secret(configured)  # masked in every log line, whatever logs it

    @property
    def configured(self) -> bool:
        return self._configured is not None

    def use(self, key: str) -> None:
        """Set the key once it is known (in development, read or made at start)."""
        self._configured = key.encode()

    def check(self, presented: str | None, query_names: Iterable[str] = ()) -> None:
        """Raise 401 unless `presented` is the configured key."""
        if QUERY_NAMES & {n.lower() for n in query_names}:
            raise unauthorized("the API key belongs in the X-API-Key header, never in the URL")
        if not presented:
            raise unauthorized("X-API-Key header is required")
        if not self.admits(presented):
            raise unauthorized("invalid API key")

    def admits(self, presented: str | None) -> bool:
        return bool(self._configured and presented
                    and hmac.compare_digest(presented.encode(), self._configured))
