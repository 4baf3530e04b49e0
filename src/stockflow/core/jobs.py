"""What a context declares to schedule a job: its spec, its body's type and its two outcomes
that are not errors. The scheduler itself is the jobs context's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

# A job's body: returns its stats (shown in the run history) or None.
JobFn = Callable[[], Awaitable[dict[str, Any] | None]]


class JobSkipped(Exception):  # an outcome, not an error
    """Raised by a job with nothing to do (e.g. the market is closed): recorded as skipped."""


class JobFailed(Exception):
    """Raised by a job that ran to the end but found a failure: recorded as failed, with stats."""

    def __init__(self, message: str, stats: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.stats = stats or {}


@dataclass(frozen=True)
class JobSpec:
    """One row of the job table: what runs and when by default. Settings override the schedule
    (`jobs.schedules`) and switch jobs off (`jobs.disabled`)."""

    name: str
    cron: str
    description: str
    run: JobFn
    enabled: bool = True
