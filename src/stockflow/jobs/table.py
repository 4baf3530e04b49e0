"""The job table: every recurring job StockFlow runs, with its default schedule.

A context adds a job with one JobSpec here: a name, a cron (5 fields, or 6 with seconds first),
a description and `build`, which gets the container and returns the job's async body. Settings
override the schedule (`jobs.schedules`) and switch jobs off (`jobs.disabled`).
"""

from __future__ import annotations

from typing import Any

from stockflow.jobs.domain import JobFailed, JobFn, JobSkipped, JobSpec


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


def _quote_ingestion(c: Any) -> JobFn:
    async def run() -> dict[str, Any]:
        if c.poller is None:
            raise JobSkipped("no real provider is switched on: the simulated market ticks itself")
        await c.poller.run_once()
        stats = dict(c.poller.source.runs[-1])
        if stats["asked"] == 0:
            raise JobSkipped("no watched market is in session")
        if stats["failed_chains"] and not stats["quotes"]:
            raise JobFailed("every provider chain failed", stats)
        return stats

    return run


def _daily_bars(c: Any) -> JobFn:
    async def run() -> dict[str, Any]:
        from stockflow.market.tasks import DailyBars
        from stockflow.pipeline.ingestion import watched_tickers

        exchange = {i.ticker: i.exchange for i in c.market.universe}
        job = DailyBars(backfill=c.backfill, calendars=c.calendars,
                        exchange_of=exchange.__getitem__, clock=c.clock,
                        days=c.settings.ingestion.daily_bars_days)
        stats = await job.run(watched_tickers(c))
        if stats["failed"] and not stats["bars"]:
            raise JobFailed("no daily bars could be fetched", stats)
        return stats

    return run


JOBS: dict[str, JobSpec] = {spec.name: spec for spec in (
    JobSpec("health-check", "0 * * * *",
            "checks every component (or every service in health_targets); on a failure, "
            "captures a diagnostic snapshot and posts a health alert", _health_check),
    JobSpec("quote-ingestion", "*/15 * * * * *",
            "quotes of the watched tickers from the real providers' failover chains every 15 s, "
            "for markets in session, into the tick pipeline (skipped with no provider on)",
            _quote_ingestion),
    # 22:30 UTC: after New York's close in summer and winter time; Mumbai closed hours before.
    JobSpec("daily-bars", "30 22 * * 1-5",
            "daily bars of the last days for every watched ticker whose session has ended",
            _daily_bars),
    JobSpec("backfill", "0 2 * * 0",
            "weekly historical backfill: fills any gap in the last year of daily bars and the "
            "recent intraday bars", _backfill),
)}
