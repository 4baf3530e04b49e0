"""The controller's use cases, one module each: maintenance mode (maintenance.py), component
health (health.py), diagnostic snapshots (snapshots.py) and the health-check job (tasks.py)."""

from stockflow.control.health import HealthService
from stockflow.control.maintenance import MaintenanceService
from stockflow.control.snapshots import SnapshotService

__all__ = ["HealthService", "MaintenanceService", "SnapshotService"]
