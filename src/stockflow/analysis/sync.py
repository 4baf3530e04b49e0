"""Sync and announce: fetch every covered equity's statements from the configured sources,
store them, and publish `financials.updated` for what changed and
`financials.anomaly.detected` for each red flag found in the new data.

The daily job (tasks.py) and the offline first-start load both run `sync_all`; a ticker that
fails costs only itself (its error is in the result, the others are still synced).

`financials.updated` carries the newest period's ratios and line items by name (`metrics`):
consumers compare them (the alerts context's fundamental rules) without asking us back. TTM
when the quarters allow it, else the latest annual period; a value not known is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stockflow.analysis.domain import PeriodType
from stockflow.analysis.service import AnalysisService, SyncResult
from stockflow.core.catalogue import FINANCIALS_ANOMALY, FINANCIALS_UPDATED
from stockflow.core.ports import EventBus
from stockflow.core.problems import Problem
from stockflow.core.resilience.errors import ProviderError
from stockflow.market.domain import AssetClass


@dataclass
class SyncReport:
    synced: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    anomalies: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"synced": len(self.synced), "updated": self.updated,
                "anomalies": self.anomalies, "errors": self.errors}


class StatementSync:
    def __init__(self, analysis: AnalysisService, bus: EventBus) -> None:
        self.analysis, self.bus = analysis, bus

    def covered(self) -> list[str]:
        """The equities of the universe that some configured source answers for."""
        return [i.ticker for i in self.analysis.market.universe
                if i.asset_class is AssetClass.EQUITY and self.analysis.source.supports(i.ticker)]

    async def metrics(self, ticker: str) -> dict[str, Any]:
        """`period`, `period_end` and `metrics` of the newest period; {} when none is known."""
        for period in (PeriodType.TTM, PeriodType.ANNUAL):
            try:
                found = await self.analysis.ratios(ticker, period)
            except Problem:
                return {}   # the update is still announced, only without values
            if found:
                break
        else:
            return {}
        latest = found[0]
        values = {r.name: float(r.value) for r in latest.ratios if _finite(r.value)}
        for statement in latest.period.statements.values():
            for name, value in statement.items.items():
                if _finite(value):
                    values.setdefault(name, float(value))  # type: ignore[arg-type]
        return {"period": latest.period.period.value, "period_end": latest.period.end.isoformat(),
                "metrics": values}

    async def announce(self, result: SyncResult) -> None:
        if result.changed:
            ends = sorted({k[1].isoformat() for k in result.changed})
            await self.bus.publish(FINANCIALS_UPDATED.name, FINANCIALS_UPDATED.event(
                {"ticker": result.ticker, "changed": len(result.changed), "period_ends": ends,
                 **await self.metrics(result.ticker)}, key=result.ticker))
        for a in result.anomalies:
            await self.bus.publish(FINANCIALS_ANOMALY.name, FINANCIALS_ANOMALY.event(
                {"ticker": a.ticker, "kind": a.kind, "period": a.period.value,
                 "end": a.end.isoformat(), "detail": a.detail}, key=a.ticker))

    async def sync_all(self, tickers: Sequence[str] | None = None, *,
                       only_missing: bool = False) -> SyncReport:
        report = SyncReport()
        stored = set(await self.analysis.store.tickers()) if only_missing else set()
        for ticker in self.covered() if tickers is None else tickers:
            if ticker in stored:
                continue
            try:
                result = await self.analysis.sync(ticker)
            except (Problem, ProviderError) as e:
                report.errors[ticker] = str(e)
                continue
            report.synced.append(ticker)
            if result.changed:
                report.updated.append(ticker)
            report.anomalies += len(result.anomalies)
            await self.announce(result)
        return report


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
