"""Controller types and pure rules: maintenance state, component health, secret redaction."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from stockflow.core.health import DEGRADED, DISABLED, DOWN, OK

MAINTENANCE_DETAIL = "Maintenance mode enabled"
_RANK = {OK: 0, DISABLED: 0, DEGRADED: 1, DOWN: 2}


@dataclass
class MaintenanceState:
    enabled: bool = False
    changed_at: datetime | None = None
    changed_by: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "reason": self.reason, "changed_by": self.changed_by,
                "changed_at": self.changed_at.isoformat() if self.changed_at else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MaintenanceState:
        at = data.get("changed_at")
        return cls(enabled=bool(data.get("enabled")), reason=str(data.get("reason") or ""),
                   changed_by=str(data.get("changed_by") or ""),
                   changed_at=datetime.fromisoformat(at) if at else None)


@dataclass
class ComponentHealth:
    name: str
    state: str
    latency_ms: float
    detail: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HealthFailure:
    """One failed check, as the Event Dispatcher receives it (plus snapshot id and time)."""

    service: str
    check: str
    error: str


def overall(components: list[ComponentHealth]) -> str:
    worst = max((_RANK.get(c.state, 2) for c in components), default=0)
    return {0: OK, 1: DEGRADED, 2: DOWN}[worst]


# A key whose name says it holds a credential; its value never leaves the process.
_SECRET_KEY = re.compile(r"(api[_-]?key|token|secret|password|passwd|credential|"
                         r"authorization|cookie|^key$|[_-]key$)", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """Copy of `value` with credentials masked: values under secret-looking keys, and the
    password of any URL (postgresql://user:pw@host)."""
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) and v not in
                    (None, "", [], {}) else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str) and "://" in value and "@" in value:
        return _redact_url(value)
    return value


def _redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:{REDACTED}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


# -- ports of the external services the controller talks to (adapters/ops/) -----------------

class SnapshotSource(Protocol):
    """Kubesnap: a diagnostic snapshot of a deployment, captured from outside the process."""

    async def capture(self, deploy_type: str) -> dict[str, Any]: ...


class AlertSink(Protocol):
    """The Event Dispatcher: receives one health alert as JSON; raises when it refuses it."""

    async def send(self, alert: dict[str, Any]) -> None: ...


class Cluster(Protocol):
    """The Kubernetes API, as far as the controller uses it."""

    async def set_maintenance(self, enabled: bool) -> dict[str, Any]: ...
    async def diagnostics(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Controller:
    """What the controller's routes call."""

    health: Any
    maintenance: Any
    snapshots: Any
    store: Any
    instance: str
