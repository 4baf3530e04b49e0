"""The job table: every recurring job StockFlow runs, with its default schedule.

A context adds a job with one JobSpec here: a name, a cron (5 fields, or 6 with seconds first),
a description and `build`, which gets the container and returns the job's async body. Settings
override the schedule (`jobs.schedules`) and switch jobs off (`jobs.disabled`).
"""

from __future__ import annotations

from typing import Any

from stockflow.jobs.domain import JobFn, JobSpec


def _health_check(c: Any) -> JobFn:
    return c.health_job.run


def _backfill(c: Any) -> JobFn:
    async def run() -> dict[str, Any]:
        # Weekly gap filling: the writes are idempotent, so re-reading a year costs no duplicates.
        tickers = [i.ticker for i in c.market.universe]
        bars = await c.backfill.run(tickers, years=1,
                                    minute_days=c.settings.simulator.backfill_minute_days)
        return {"tickers": len(tickers), "bars": bars}

    return run


JOBS: dict[str, JobSpec] = {spec.name: spec for spec in (
    JobSpec("health-check", "0 * * * *",
            "checks every component (or every service in health_targets); on a failure, "
            "captures a diagnostic snapshot and posts a health alert", _health_check),
    JobSpec("backfill", "0 2 * * 0",
            "weekly historical backfill: fills any gap in the last year of daily bars and the "
            "recent intraday bars", _backfill),
)}
