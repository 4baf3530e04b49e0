"""The health-check job (seed 000's healthcheck-execution): check, then snapshot and alert."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from stockflow.control.domain import DOWN, AlertSink, HealthFailure
from stockflow.control.health import HealthService
from stockflow.control.snapshots import SnapshotService
from stockflow.core.catalogue import HEALTH_ALERT
from stockflow.core.jobs import JobFailed
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock, EventBus
from stockflow.core.registry import load
from stockflow.core.resilience.backoff import RetryPolicy, retry

log = get_logger(__name__)


class HealthCheckJob:
    """Checks every service over HTTP (`targets`) or, with none, this process's components.

    On any failure: Step A, one diagnostic snapshot; Step B, per failed check a `health.alert`
    event and a POST to the Event Dispatcher, retried with full-jitter backoff. The run then
    fails, so the run history shows it.
    """

    def __init__(self, *, health: HealthService, snapshots: SnapshotService, bus: EventBus,
                 clock: Clock, alerts: AlertSink | None = None, targets: list[str] | None = None,
                 api_key: str | None = None, timeout: float = 5.0,
                 policy: RetryPolicy | None = None, service: str = "stockflow") -> None:
        self.health = health
        self.snapshots = snapshots
        self.bus = bus
        self.clock = clock
        self.alerts = alerts
        self.targets = targets or []
        self.api_key = api_key
        self.timeout = timeout
        self.policy = policy or RetryPolicy(attempts=4)
        self.service = service

    async def check(self) -> tuple[int, list[HealthFailure]]:
        if not self.targets:
            components = await self.health.check()
            return len(components), [HealthFailure(self.service, c.name, str(c.detail))
                                     for c in components if c.state == DOWN]
        probe_service = load("stockflow.adapters.ops.http:probe_service")
        checked, failures = 0, []
        for base in self.targets:
            n, failed = await probe_service(base, api_key=self.api_key, timeout=self.timeout)
            checked += n
            service = urlsplit(base).netloc or base
            failures.extend(HealthFailure(service, path, error) for path, error in failed)
        return checked, failures

    async def run(self) -> dict[str, Any]:
        checked, failures = await self.check()
        if not failures:
            return {"checked": checked, "failed": 0}
        summary = "; ".join(f"{f.service} {f.check}: {f.error}" for f in failures)
        snapshot_id = await self.snapshots.capture(f"health check failed: {summary}", failures)
        now = self.clock.now().isoformat()
        delivered, undelivered = 0, []
        for f in failures:
            alert = {"service": f.service, "check": f.check, "error": f.error,
                     "snapshot_id": snapshot_id, "time": now}
            await self.bus.publish(HEALTH_ALERT.name, HEALTH_ALERT.event(alert, key=f.service))
            sink = self.alerts
            if sink is None:
                continue
            try:
                await retry(lambda a=alert, s=sink: s.send(a), self.policy, clock=self.clock,
                            on_retry=_log_retry)
                delivered += 1
            except Exception as e:  # noqa: BLE001 - the other alerts still go out
                log.error("health alert not delivered", check=f.check, error=str(e))
                undelivered.append(str(e))
        stats = {"checked": checked, "failed": len(failures), "snapshot_id": snapshot_id,
                 "alerts_delivered": delivered, "alerts_undelivered": len(undelivered)}
        raise JobFailed(f"{len(failures)} check(s) failed: {summary}"[:2000], stats)


def _log_retry(attempt: int, error: BaseException, pause: float) -> None:
    log.warning("health alert retry", attempt=attempt, error=str(error), pause=round(pause, 3))
