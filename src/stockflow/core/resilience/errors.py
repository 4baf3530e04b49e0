"""Typed provider errors: what a caller (failover, API) needs to decide, never a vendor's format."""

from __future__ import annotations


class ProviderError(Exception):
    """Base of every provider failure; `provider` names the adapter, `status` the HTTP status."""

    def __init__(self, provider: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
        self.status = status


class ProviderUnavailable(ProviderError):
    """Timeouts, connection errors and 5xx: worth retrying later or elsewhere."""


class ProviderRateLimited(ProviderError):
    """429, or a vendor's own rate-limit body (Alpha Vantage "Note" at HTTP 200)."""

    def __init__(self, provider: str, message: str, *, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(provider, message, status=status)
        self.retry_after = retry_after


class ProviderBadData(ProviderError):
    """The answer arrived but cannot be trusted: malformed, empty, a bad price, the wrong symbol."""


class ProviderNotFound(ProviderError):
    """The vendor does not know the symbol (or the ticker has no mapping for this vendor)."""


class ProviderAuthError(ProviderError):
    """Missing, wrong or under-entitled credentials (401/403, Polygon NOT_AUTHORIZED)."""


__all__ = [
    "ProviderAuthError",
    "ProviderBadData",
    "ProviderError",
    "ProviderNotFound",
    "ProviderRateLimited",
    "ProviderUnavailable",
]
