"""The analysis context's handler table: new statements recompute the ticker's ratios and its
comparison metrics into the cache (the seed's hour), so the next reader finds them ready."""

from __future__ import annotations

from stockflow.analysis.compare import DEFAULT_METRICS, CompareService
from stockflow.analysis.metrics_cache import CachedRatios
from stockflow.core.catalogue import FINANCIALS_UPDATED
from stockflow.core.events import Event
from stockflow.core.module import BY_EVENT_ID, HandlerSpec


def handlers(ratios: CachedRatios, compare: CompareService) -> list[HandlerSpec]:
    async def on_updated(event: Event) -> None:
        ticker = FINANCIALS_UPDATED.validate(event).ticker
        if ticker is None:
            return
        await ratios.refresh(ticker)
        await compare.invalidate(ticker)
        await compare.cached_metrics([ticker], DEFAULT_METRICS)

    # Recomputing twice is harmless but costs a whole ratio run; the idempotency store skips a
    # redelivered event.
    return [HandlerSpec(FINANCIALS_UPDATED, "analysis-ratios", on_updated,
                        idempotency=BY_EVENT_ID)]
