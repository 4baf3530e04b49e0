"""External HTTP services of the controller: Kubesnap and the Event Dispatcher (seed 000)."""

from __future__ import annotations

from typing import Any

import httpx


class ExternalServiceError(RuntimeError):
    """The service answered with an error status, or could not be reached."""


async def request_json(method: str, url: str, *, timeout: float,
                       headers: dict[str, str] | None = None, json: Any = None,
                       content: bytes | None = None, verify: Any = True) -> Any:
    """One request, one client: these calls are rare (maintenance, alerts), so no pool is kept
    between them and nothing is opened until a call is made."""
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=verify) as client:
            response = await client.request(method, url, headers=headers, json=json,
                                            content=content)
    except httpx.HTTPError as e:
        raise ExternalServiceError(f"{method} {url}: {type(e).__name__}: {e}") from e
    if response.status_code >= 400:
        raise ExternalServiceError(f"{method} {url}: HTTP {response.status_code} "
                                   f"{response.text[:200]}")
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:2000]}


class KubesnapClient:
    """`GET {url}/api/kubesnap/{deploy_type}` with X-API-Key."""

    def __init__(self, url: str, api_key: str | None, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    async def capture(self, deploy_type: str) -> dict[str, Any]:
        headers = {"X-API-Key": self.api_key} if self.api_key else {}
        body = await request_json("GET", f"{self.url}/api/kubesnap/{deploy_type}",
                                  timeout=self.timeout, headers=headers)
        return body if isinstance(body, dict) else {"snapshot": body}


class EventDispatcherClient:
    """`POST {url}/api/v1/health-alert` with the failure JSON; one attempt (the caller retries)."""

    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    async def send(self, alert: dict[str, Any]) -> None:
        headers = {"X-API-Key": self.api_key} if self.api_key else {}
        await request_json("POST", f"{self.url}/api/v1/health-alert", timeout=self.timeout,
                           headers=headers, json=alert)


# What seed 000's health check calls on every service; the admin route only on the controller.
HEALTH_PATHS = ("/health", "/api/health", "/api/admin/health")


async def probe_service(base_url: str, *, api_key: str | None,
                        timeout: float) -> tuple[int, list[tuple[str, str]]]:
    """GET each health path of one service: (paths checked, [(path, error)] for the failures).

    A 404 on the admin path means the service is not a controller, so it is not checked there.
    """
    base = base_url.rstrip("/")
    checked, failures = 0, []
    async with httpx.AsyncClient(timeout=timeout) as client:
        for path in HEALTH_PATHS:
            admin = path.startswith("/api/admin")
            headers = {"X-API-Key": api_key} if admin and api_key else {}
            try:
                response = await client.get(base + path, headers=headers)
            except httpx.HTTPError as e:
                checked += 1
                failures.append((path, f"{type(e).__name__}: {e}"))
                continue
            if admin and response.status_code == 404:
                continue
            checked += 1
            if response.status_code >= 400:
                failures.append((path, f"HTTP {response.status_code}: {_detail(response)}"))
    return checked, failures


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:200]
