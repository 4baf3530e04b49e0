"""The search context's scheduled job (the daily clean-up) and the loop that indexes the
market's universe when the search worker starts."""

from __future__ import annotations

from typing import Any

import structlog

from stockflow.core.jobs import JobSpec
from stockflow.market.ports import MarketReader
from stockflow.search.service import SearchService
from stockflow.search.sources import company_record

log = structlog.get_logger(__name__)


def jobs(search: SearchService) -> list[JobSpec]:
    async def cleanup() -> dict[str, Any]:
        return {"news_removed": await search.cleanup(),
                "retention_days": search.settings.news_retention_days,
                "stale_labels_removed": await search.drop_stale_labels()}

    return [JobSpec("search-cleanup", "30 3 * * *",
                    "drop news past the search retention period from the index", cleanup)]


class UniverseIndexer:
    """Indexes every instrument of the market's universe directly at start (companies the
    platform trades are searchable before any `company.updated` arrives). Upserts by ticker,
    so a restart rewrites the same documents."""

    name = "search-universe"

    def __init__(self, search: SearchService, market: MarketReader) -> None:
        self.search = search
        self.market = market
        self.indexed = 0

    async def start(self) -> None:
        self.indexed = await self.search.index_companies(
            company_record(i) for i in self.market.universe)
        log.info("search.universe_indexed", companies=self.indexed)

    async def stop(self) -> None:
        return None
