"""Job types and the cron rules of the scheduler (pure: no I/O, time comes from the caller)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from croniter import croniter

from stockflow.core.jobs import JobFailed, JobFn, JobSkipped, JobSpec  # noqa: F401 - re-exported

RUNNING, OK, FAILED, SKIPPED = "running", "ok", "failed", "skipped"


@dataclass
class JobRun:
    id: str
    job: str
    started_at: datetime
    status: str
    instance: str
    trigger: str
    finished_at: datetime | None = None
    error: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        duration = ((self.finished_at - self.started_at).total_seconds()
                    if self.finished_at else None)
        return {"id": self.id, "job": self.job, "started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "duration_seconds": duration, "status": self.status, "error": self.error,
                "stats": self.stats, "instance": self.instance, "trigger": self.trigger}


def validate_cron(expr: str) -> str:
    """Five fields (minute precision) or six with seconds first, e.g. `*/15 * * * * *`."""
    fields = expr.split()
    if len(fields) not in (5, 6) or not croniter.is_valid(expr, second_at_beginning=True):
        raise ValueError(f"invalid cron expression {expr!r}: 5 fields, or 6 with seconds first")
    return expr


def next_fire(expr: str, after: datetime) -> datetime:
    """The first fire time strictly after `after` (aware UTC in, aware UTC out)."""
    return croniter(expr, after, second_at_beginning=True).get_next(datetime)
