"""The pipeline's scheduled job: polling the real providers' chains into the pipeline."""

from __future__ import annotations

from typing import Any

from stockflow.core.jobs import JobFailed, JobSkipped, JobSpec
from stockflow.pipeline.service import Ingestion


def jobs(ingestion: Ingestion, *, polls: bool) -> list[JobSpec]:
    async def quote_ingestion() -> dict[str, Any]:
        poller = ingestion.poller()
        if poller is None:
            raise JobSkipped("no watched ticker is polled: the simulated market or a vendor "
                             "stream covers them")
        await poller.run_once()
        stats = dict(poller.source.runs[-1])
        if stats["asked"] == 0:
            raise JobSkipped("no watched market is in session")
        if stats["failed_chains"] and not stats["quotes"]:
            raise JobFailed("every provider chain failed", stats)
        return stats

    return [JobSpec(
        "quote-ingestion", "*/15 * * * * *",
        "quotes of the watched tickers from the real providers' failover chains every 15 s, "
        "for markets in session, into the tick pipeline",
        quote_ingestion,
        # Nothing to poll with no real provider on: no run every 15 s that would only record
        # "skipped".
        enabled=polls)]
