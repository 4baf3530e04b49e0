"""The analysis context's scheduled job (the daily statement sync after the US close) and
the first-start load that gives every covered equity its statements without waiting for it."""

from __future__ import annotations

from typing import Any

from stockflow.analysis.sync import StatementSync
from stockflow.core.jobs import JobSkipped, JobSpec
from stockflow.core.lifecycle import OneShot


def jobs(sync: StatementSync, cron: str) -> list[JobSpec]:
    async def sync_statements() -> dict[str, Any]:
        if not sync.covered():
            raise JobSkipped("no configured fundamentals source covers an equity")
        return (await sync.sync_all()).to_dict()

    return [JobSpec("analysis-sync-statements", cron,
                    "store new financial statements from the configured sources", sync_statements)]


class FirstLoad(OneShot):
    """In the background at start: statements for every covered equity that has none stored.
    A request for a company not loaded yet fetches it itself (AnalysisService, offline first)."""

    def __init__(self, sync: StatementSync) -> None:
        super().__init__("analysis-first-load", self._load)
        self.sync = sync
        self.report: dict[str, Any] | None = None

    async def _load(self) -> None:
        self.report = (await self.sync.sync_all(only_missing=True)).to_dict()
