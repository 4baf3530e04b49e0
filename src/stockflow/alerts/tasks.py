"""The alerts context's scheduled jobs: the retry sweep (seed: every 5 minutes) and the daily
and weekly digests.

The delivery loop of the alerts worker sends rows as they fall due; the sweep claims due
retries too, so retries go on where the worker is down or scaled to zero. Claims are leased
(SKIP LOCKED on PostgreSQL), so the loop and the sweep never send one row at the same time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from stockflow.alerts.digests import Digests
from stockflow.alerts.service import DeliverySender
from stockflow.core.jobs import JobSkipped, JobSpec


def jobs(sender: Callable[[], DeliverySender], digests: Digests) -> list[JobSpec]:
    async def sweep() -> dict[str, Any]:
        s = sender()
        counts = {"delivered": 0, "retry": 0, "failed": 0}
        while True:     # every due retry, a batch at a time
            done = await s.run_once(retries_only=True)
            counts = {k: counts[k] + done[k] for k in counts}
            if sum(done.values()) < s.settings.delivery_batch:
                break
        if not any(counts.values()):
            raise JobSkipped("no retry due")
        return counts

    def digest(period: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def run() -> dict[str, Any]:
            counts = await digests.run(period)
            if not counts["sent"]:
                raise JobSkipped(f"no digest to send ({counts})")
            return counts
        return run

    # After the US close (21:00 UTC in winter), so the day's moves are in; weekly on Fridays.
    return [JobSpec("alerts-retry-sweep", "*/5 * * * *",
                    "send alert deliveries whose retry is due", sweep),
            JobSpec("alerts-digest-daily", "0 22 * * *", "each user's daily alerts digest",
                    digest("daily")),
            JobSpec("alerts-digest-weekly", "0 22 * * 5", "each user's weekly alerts digest",
                    digest("weekly"))]
