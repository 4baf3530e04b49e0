"""Shared base for HTTP market-data providers: one pooled client, typed errors, no leaked secrets.

A provider subclasses `HttpProvider`, says how its key travels (`auth_headers`/`auth_params`) and,
if the vendor reports errors inside 2xx bodies, overrides `check_body`. Everything else —
timeouts, transport errors, status codes, Retry-After, malformed JSON, redaction — lives here.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.ports import BARS, QUOTES

_SECRET_PARAM = re.compile(r"key|token|secret|signature|password|auth", re.IGNORECASE)
_BODY_SNIPPET = 200


def redact_url(url: str | httpx.URL) -> str:
    """The URL with every query value whose name looks secret (apiKey, apikey, token…) as ***."""
    parts = urlsplit(str(url))
    if not parts.query:
        return str(url)
    query = [(k, "***" if _SECRET_PARAM.search(k) else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*:,")))


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request URL at INFO; keys sent as query params must not reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a
                                for a in record.args)
        return True


_REDACT_FILTER = _RedactHttpxLog()


def _install_log_redaction() -> None:
    logger = logging.getLogger("httpx")
    if _REDACT_FILTER not in logger.filters:
        logger.addFilter(_REDACT_FILTER)


def as_secret(value: SecretStr | str | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


class HttpProvider:
    """Base for vendor adapters. The client is made on first use, never at construction."""

    name = "http"
    default_base_url = ""
    # What this vendor can do beyond the port (see market/ports.py); callers look here, never
    # at a vendor's name.
    capabilities: frozenset[str] = frozenset({QUOTES, BARS})
    # Statuses whose body a vendor uses for "unknown symbol"; others map by class (see _raise).
    not_found_statuses: frozenset[int] = frozenset({404})

    # The header a vendor takes its key in (None: the vendor overrides auth_headers/auth_params).
    key_header: str | None = None

    def __init__(self, api_key: SecretStr | str | None = None, *, base_url: str | None = None,
                 timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.api_key = as_secret(api_key)
        # Wall clock for vendors whose answers carry no time of their own; tests pin it.
        self.now = clock or (lambda: datetime.now(UTC))
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> HttpProvider:
        """Build from any object with `api_key`, `base_url`, `timeout` (all optional)."""
        kwargs: dict[str, Any] = {"api_key": getattr(settings, "api_key", None)}
        if getattr(settings, "base_url", None):
            kwargs["base_url"] = str(settings.base_url)
        if getattr(settings, "timeout", None):
            kwargs["timeout"] = float(settings.timeout)
        return cls(**kwargs)

    def __repr__(self) -> str:
        key = "set" if self.api_key is not None else "none"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key})"

    # -- how the key travels; overridden per vendor ------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        key = self.secret()
        return {self.key_header: key} if key and self.key_header else {}

    def auth_params(self) -> dict[str, str]:
        return {}

    def secret(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            _install_log_redaction()
            self._http = httpx.AsyncClient(
                base_url=self.base_url, timeout=self.timeout, transport=self._transport,
                follow_redirects=True, max_redirects=3,
                headers={"Accept": "application/json", "User-Agent": "stockflow"},
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- requests --------------------------------------------------------------------------------

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request_json("GET", path, params=params)

    async def post_json(self, path: str, body: Any) -> Any:
        return await self.request_json("POST", path, json=body)

    async def request_json(self, method: str, path: str, *,
                           params: Mapping[str, Any] | None = None, json: Any = None) -> Any:
        query = {**(params or {}), **self.auth_params()}
        where = f"{method} {redact_url(self.client.build_request(method, path, params=query).url)}"
        try:
            resp = await self.client.request(method, path, params=query, json=json,
                                             headers=self.auth_headers())
        # `from None` everywhere: httpx messages and requests may carry the URL with its key.
        except httpx.TimeoutException as e:
            raise self._scrub(ProviderUnavailable(
                self.name, f"timeout ({type(e).__name__}) on {where}")) from None
        except httpx.TooManyRedirects:
            raise self._scrub(ProviderUnavailable(self.name, f"too many redirects on {where}")
                              ) from None
        except httpx.TransportError as e:
            raise self._scrub(ProviderUnavailable(
                self.name, f"{type(e).__name__} on {where}")) from None
        body = self.decode(resp, where)
        if resp.status_code >= 400:
            raise self._scrub(self.error_for(resp, body, where))
        if resp.status_code >= 300:
            raise self._scrub(ProviderUnavailable(
                self.name, f"HTTP {resp.status_code} on {where}", status=resp.status_code))
        problem = self.check_body(body)
        if problem is not None:
            raise self._scrub(problem)
        return body

    def decode(self, resp: httpx.Response, where: str) -> Any:
        """The body as the vendor's format reads: JSON here; a vendor serving XML overrides."""
        try:
            return resp.json()
        except ValueError:
            if resp.status_code >= 400:
                return None  # an HTML error page: the status says enough
            raise self._scrub(ProviderBadData(
                self.name, f"malformed JSON from {where}: {resp.text[:_BODY_SNIPPET]!r}",
                status=resp.status_code)) from None

    def error_for(self, resp: httpx.Response, body: Any, where: str) -> ProviderError:
        """Map an HTTP error status to a typed error; vendors refine via `vendor_error`."""
        specific = self.vendor_error(resp.status_code, body)
        if specific is not None:
            return specific
        status = resp.status_code
        msg = f"HTTP {status} on {where}: {_snippet(body)}"
        if status == 429:
            return ProviderRateLimited(
                self.name, msg, status=status,
                retry_after=parse_retry_after(resp.headers.get("retry-after")))
        if status in (401, 403):
            return ProviderAuthError(self.name, msg, status=status)
        if status in self.not_found_statuses:
            return ProviderNotFound(self.name, msg, status=status)
        if status >= 500:
            return ProviderUnavailable(self.name, msg, status=status)
        return ProviderError(self.name, msg, status=status)

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        """Hook: a vendor error body that says more than its status (Binance -1121…)."""
        return None

    def check_body(self, body: Any) -> ProviderError | None:
        """Hook: an error hidden in a 2xx body (Alpha Vantage "Note"); None when the body is fine."""
        return None

    def _scrub(self, err: ProviderError) -> ProviderError:
        """Belt and braces: no message leaves with the key in it, whatever a vendor echoed back."""
        secret = self.secret()
        if secret and secret in err.message:
            err.message = err.message.replace(secret, "***")
            err.args = (f"{err.provider}: {err.message}",)
        return err


def _snippet(body: Any) -> str:
    text = repr(body) if body is not None else "<no JSON body>"
    return text[:_BODY_SNIPPET]
