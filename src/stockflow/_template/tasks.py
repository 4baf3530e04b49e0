"""The context's scheduled jobs."""

from __future__ import annotations

from typing import Any

from stockflow._template.service import TallyService
from stockflow.core.jobs import JobSkipped, JobSpec


def jobs(tallies: TallyService, top: int) -> list[JobSpec]:
    async def report() -> dict[str, Any]:
        busiest = await tallies.top(top)
        if not busiest:
            raise JobSkipped("no quote update counted yet")
        return {"busiest": [t.to_wire() for t in busiest]}

    return [JobSpec("template-report", "0 * * * *", "the busiest tickers by quote updates",
                    report)]
