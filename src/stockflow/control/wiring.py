"""The controller's adapters, chosen from its settings: the Kubernetes client, Kubesnap and the
Event Dispatcher (each imported only when configured)."""

from __future__ import annotations

from typing import Any

from stockflow.control.domain import Cluster, SnapshotSource
from stockflow.control.health import HealthService
from stockflow.control.snapshots import SnapshotService
from stockflow.control.tasks import HealthCheckJob
from stockflow.core.ports import Clock, EventBus
from stockflow.core.registry import load
from stockflow.core.resilience.backoff import RetryPolicy


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def cluster(control: Any) -> Cluster | None:
    k8s = control.kubernetes
    if not k8s.enabled:
        return None
    client = load("stockflow.adapters.ops.kubernetes:KubernetesClient")
    return client(api_url=k8s.api_url, namespace=k8s.namespace,
                            configmap=k8s.configmap, restart_deployments=k8s.restart_deployments,
                            token_path=k8s.token_path, ca_path=k8s.ca_path,
                            timeout=k8s.timeout_seconds)


def kubesnap(control: Any) -> SnapshotSource | None:
    if not control.kubesnap_url:
        return None
    client = load("stockflow.adapters.ops.http:KubesnapClient")
    return client(control.kubesnap_url, _secret(control.kubesnap_api_key),
                          timeout=control.health_timeout_seconds)


def health_job(control: Any, health: HealthService, snapshots: SnapshotService,
                bus: EventBus, clock: Clock) -> HealthCheckJob:
    alerts = None
    if control.event_dispatcher_url:
        client = load("stockflow.adapters.ops.http:EventDispatcherClient")
        alerts = client(control.event_dispatcher_url,
                                       _secret(control.event_dispatcher_api_key),
                                       timeout=control.health_timeout_seconds)
    policy = RetryPolicy(attempts=control.alert_attempts, base=control.alert_backoff_base_seconds,
                         cap=control.alert_backoff_cap_seconds)
    return HealthCheckJob(health=health, snapshots=snapshots, bus=bus, clock=clock,
                          alerts=alerts, targets=control.health_targets,
                          api_key=_secret(control.api_key),
                          timeout=control.health_timeout_seconds, policy=policy)
