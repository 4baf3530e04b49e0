"""The controller (seeds 000, 001): /api/admin/* behind the operator's key, maintenance mode,
component health, diagnostic snapshots and the hourly health-check chain."""

from __future__ import annotations

from typing import Any

from stockflow.control.config import ControlSettings
from stockflow.core.jobs import JobSpec
from stockflow.core.module import ContextModule, ContextParts, EdgeLayer, Plan, Platform, Ports

SERVICE = "controller"
# The maintenance gate runs before auth, so maintenance covers every public route without
# spending a rate-limit token.
MAINTENANCE_EDGE_ORDER = 20


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.control.domain import Controller
    from stockflow.control.gate import MaintenanceGate
    from stockflow.control.health import HealthService
    from stockflow.control.maintenance import MaintenanceService
    from stockflow.control.repository import SqlControlStore
    from stockflow.control.snapshots import SnapshotService
    from stockflow.control.wiring import cluster, health_job, kubesnap
    from stockflow.core.operator import OperatorKey
    from stockflow.jobs.ports import JobHistory

    control = p.settings.control
    store = SqlControlStore(p.db)
    k8s = cluster(control)
    maintenance = MaintenanceService(
        store=store, cache=p.cache, bus=p.bus, pubsub=p.pubsub, clock=p.clock, cluster=k8s,
        refresh_seconds=control.maintenance_refresh_seconds)
    health = HealthService(p.registry.health, timeout=control.health_timeout_seconds)
    history = p.ports.find(JobHistory)
    snapshots = SnapshotService(
        store=store, health=health, clock=p.clock, settings=p.settings,
        registry=p.metrics.registry,
        recent_runs=history.recent_failures if history is not None else None,
        maintenance=maintenance, cluster=k8s, kubesnap=kubesnap(control),
        deploy_type=control.deploy_type)
    check = health_job(control, health, snapshots, p.bus, p.clock)
    key = control.api_key.get_secret_value() if control.api_key is not None else None
    operator = OperatorKey(key)

    def gate(app: Any, ports: Ports) -> Any:
        return MaintenanceGate(app, maintenance.flag, control.maintenance_retry_after)

    parts = ContextParts(
        "control",
        ports={OperatorKey: operator, MaintenanceService: maintenance,
               HealthService: health, SqlControlStore: store, SnapshotService: snapshots,
               Controller: Controller(health=health, maintenance=maintenance,
                                      snapshots=snapshots, store=store, instance=p.instance)},
        edge=[EdgeLayer(MAINTENANCE_EDGE_ORDER, gate)],
        jobs=[JobSpec("health-check", "0 * * * *",
                      "checks every component (or every service in health_targets); on a "
                      "failure, captures a diagnostic snapshot and posts a health alert",
                      check.run)],
        # At start, before any worker or loop: a process started during maintenance never
        # serves a public request.
        on_start=[lambda: development_key(p.settings, operator), maintenance.start],
        on_stop=[maintenance.stop])
    if plan.http:
        from stockflow.control.api import admin, public

        # Every service answers GET /api/health (seed 000's health check calls it on each).
        parts.routers.append(public)
        if plan.serves(SERVICE):
            parts.admin_routers.append(admin)
    return parts


def _seed_key(settings: Any) -> None:
    # Seed 000 names the controller key SF_API_KEY; it is honoured as it is.
    if settings.control.api_key is None and settings.sf_api_key is not None:
        settings.control.api_key = settings.sf_api_key
    if settings.control.api_key is None and settings.environment == "production":
        # A controller without a key refuses every admin call; in production that is a
        # misconfiguration to stop at, not a silent lock-out.
        raise ValueError("production needs SF_API_KEY (or STOCKFLOW_CONTROL__API_KEY)")


async def development_key(settings: Any, operator: Any) -> None:
    """Development without a configured key: the data folder's own key (made at first start),
    and a line saying where it is, so the admin API is usable from the first minute."""
    import secrets

    from stockflow.core.logging import get_logger
    from stockflow.core.secretfile import read_or_create

    if operator.configured:
        return
    path = settings.data_dir / settings.control.api_key_file
    key, created = read_or_create(path, lambda: secrets.token_urlsafe(32).encode())
    operator.use(key.decode().strip())
    get_logger(__name__).warning(
        "admin API key generated (development)" if created else "admin API key (development)",
        path=str(path), hint=f'X-API-Key: "$(cat {path})"')


MODULE = ContextModule(
    name="control",
    build=build,
    settings={"control": ControlSettings},
    services=(SERVICE,),
    tables="stockflow.control.tables",
    resolve=_seed_key,
)
