"""The scheduler's settings section."""

from __future__ import annotations

from pydantic import BaseModel, Field


class JobsSettings(BaseModel):
    """The scheduler: cron per job (5 fields, or 6 with seconds first), one run at a time."""

    enabled: bool = True
    schedules: dict[str, str] = Field(default_factory=dict, description="job -> cron override")
    disabled: list[str] = Field(default_factory=list, description="jobs the scheduler skips")
    lock_ttl_seconds: float = Field(300.0, gt=0, description="lease, renewed while a job runs")
    history_days: float = Field(14.0, gt=0, description="finished runs kept in job_runs")
