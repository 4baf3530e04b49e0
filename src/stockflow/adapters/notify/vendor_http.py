"""What the HTTP notifiers (SendGrid, Twilio) share: one client per notifier, one status mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from stockflow.alerts.ports import SendResult

TIMEOUT_SECONDS = 15.0
# 4xx means the request itself is wrong (bad address, bad key): retrying cannot help, except
# these two, which say "later".
_RETRYABLE_4XX = frozenset({408, 429})


def client(base_url: str, *, auth: httpx.Auth | tuple[str, str] | None = None,
           headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, auth=auth, headers=headers,
                             timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)


async def post(http: httpx.AsyncClient, path: str,
               describe: Callable[[httpx.Response], tuple[str, str]], **kwargs: Any) -> SendResult:
    """POST and map the answer; `describe(response)` gives (provider id, error text)."""
    try:
        response = await http.post(path, **kwargs)
    except httpx.TimeoutException:
        return SendResult(ok=False, error="no answer in time")
    except httpx.HTTPError as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
    provider_id, error = describe(response)
    status = response.status_code
    if 200 <= status < 300:
        return SendResult(ok=True, status=status, provider_id=provider_id)
    permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
    return SendResult(ok=False, status=status, permanent=permanent,
                      error=(error or f"HTTP {status}")[:500])


def json_or_empty(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}
