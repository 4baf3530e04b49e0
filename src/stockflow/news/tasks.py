"""The news context's scheduled jobs: the daily clean-up of articles past their retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from stockflow.core.jobs import JobSpec
from stockflow.core.ports import Clock
from stockflow.news.ports import ArticleStore


def jobs(store: ArticleStore, clock: Clock, *, retention_days: int, cron: str) -> list[JobSpec]:
    async def cleanup() -> dict[str, Any]:
        cutoff = clock.now() - timedelta(days=retention_days)
        return {"deleted": await store.delete_older_than(cutoff), "before": cutoff.isoformat()}

    return [JobSpec("news-cleanup", cron,
                    f"delete news articles older than the retention ({retention_days} days)",
                    cleanup)]
