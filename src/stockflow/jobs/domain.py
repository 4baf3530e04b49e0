"""Job types and the cron rules of the scheduler (pure: no I/O, time comes from the caller)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from croniter import croniter

# A job's body: returns its stats (shown in the run history) or None.
JobFn = Callable[[], Awaitable[dict[str, Any] | None]]

RUNNING, OK, FAILED, SKIPPED = "running", "ok", "failed", "skipped"


class JobSkipped(Exception):  # an outcome, not an error
    """Raised by a job with nothing to do (e.g. the market is closed): recorded as skipped."""


class JobFailed(Exception):
    """Raised by a job that ran to the end but found a failure: recorded as failed, with stats."""

    def __init__(self, message: str, stats: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.stats = stats or {}


@dataclass(frozen=True)
class JobSpec:
    """One row of the job table: what runs, when by default, and how to build it."""

    name: str
    cron: str
    description: str
    build: Callable[[Any], JobFn]  # container -> the job's body
    enabled: bool = True


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
