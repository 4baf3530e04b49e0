"""Diagnostic snapshots: what the platform looked like when a check failed, secrets removed."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from stockflow.control.domain import Cluster, HealthFailure, SnapshotSource, redact
from stockflow.control.health import HealthService
from stockflow.control.repository import SqlControlStore
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock

log = get_logger(__name__)
# Families worth reading first after a failure: dead letters, retries, drops, readiness, jobs,
# and
# the HTTP request counter (its 5xx samples only).
KEY_METRICS = ("stockflow_bus_dead_lettered", "stockflow_bus_retried", "stockflow_bus_redelivered",
               "stockflow_bus_consumer_lag", "stockflow_pubsub_dropped", "stockflow_ready",
               "stockflow_ws_dropped", "stockflow_job_runs", "stockflow_job_last")
MAX_SAMPLES = 200


def key_metrics(registry: CollectorRegistry) -> dict[str, float]:
    out: dict[str, float] = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            wanted = sample.name.startswith(KEY_METRICS) or (
                sample.name.startswith("stockflow_http_requests")
                and sample.labels.get("status", "").startswith("5"))
            if wanted and len(out) < MAX_SAMPLES:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                out[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return out


class SnapshotService:
    def __init__(self, *, store: SqlControlStore, health: HealthService, clock: Clock,
                 settings: Any, registry: CollectorRegistry, recent_runs: Any = None,
                 maintenance: Any = None, cluster: Cluster | None = None,
                 kubesnap: SnapshotSource | None = None, deploy_type: str = "stockflow") -> None:
        self.store = store
        self.health = health
        self.clock = clock
        self.settings = settings
        self.registry = registry
        self.recent_runs = recent_runs  # async (limit) -> failed job runs, newest first
        self.maintenance = maintenance
        self.cluster = cluster
        self.kubesnap = kubesnap
        self.deploy_type = deploy_type
        self.recent_failures: deque[dict[str, Any]] = deque(maxlen=50)

    async def capture(self, reason: str, failures: Sequence[HealthFailure] = ()) -> str:
        now = self.clock.now()
        for f in failures:
            self.recent_failures.append({"time": now.isoformat(), "service": f.service,
                                         "check": f.check, "error": f.error})
        data: dict[str, Any] = {
            "failures": [{"service": f.service, "check": f.check, "error": f.error}
                         for f in failures],
            "components": await _guard(self._components()),
            "recent_errors": {"health": list(self.recent_failures),
                              "jobs": await _guard(self._failed_runs())},
            "metrics": key_metrics(self.registry),
            "settings": self.settings.model_dump(mode="json"),
            "maintenance": self.maintenance.status() if self.maintenance else None,
            "kubernetes": await _guard(self.cluster.diagnostics()) if self.cluster else None,
            "kubesnap": (await _guard(self.kubesnap.capture(self.deploy_type))
                         if self.kubesnap else None),
        }
        snapshot_id = uuid.uuid4().hex
        # Redacted as a whole: Kubesnap's and Kubernetes' answers may carry secrets too.
        await self.store.save_snapshot(snapshot_id, now, reason, redact(data))
        log.warning("diagnostic snapshot captured", snapshot=snapshot_id, reason=reason)
        return snapshot_id

    async def _components(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in await self.health.check()]

    async def _failed_runs(self) -> list[dict[str, Any]]:
        if self.recent_runs is None:
            return []
        return [r.to_dict() for r in await self.recent_runs(20)]


async def _guard(aw: Any) -> Any:
    """A snapshot is taken when things are broken: a part that fails is recorded, not raised."""
    try:
        return await aw
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"}
