"""The pipeline's ingestion side, built from the market's plan (market/ingest.py): the always-on
workers (simulated ticks, vendors' streams) and the poller the `quote-ingestion` job runs, so
polling real providers happens once across instances."""

from __future__ import annotations

from typing import Any

from stockflow.core.ports import Clock, EventBus
from stockflow.market.ports import TickPlanner
from stockflow.pipeline.handlers import IngestionWorker
from stockflow.pipeline.metrics import PipelineMetrics
from stockflow.pipeline.sources import ProviderQuoteSource, SimulatedTickSource
from stockflow.pipeline.streams import StreamIngestion


class Ingestion:
    def __init__(self, sources: TickPlanner, bus: EventBus, clock: Clock,
                 metrics: PipelineMetrics, *, tick_interval: float,
                 market_hours_only: bool) -> None:
        self.sources = sources
        self.bus = bus
        self.clock = clock
        self.metrics = metrics
        self.tick_interval = tick_interval
        self.market_hours_only = market_hours_only
        self._poller: IngestionWorker | None = None
        self._planned = False

    def loops(self) -> list[Any]:
        """The simulated ticks and one stream worker per vendor stream that is on."""
        plan = self.sources.plan()
        built: list[Any] = [StreamIngestion(feed, self.bus, self.clock, self.metrics)
                            for feed, _ in plan.streams]
        sim = plan.simulator
        if plan.simulated and hasattr(sim, "quote_sync"):
            built.append(IngestionWorker(SimulatedTickSource(sim, plan.simulated), self.bus,
                                         self.clock, self.metrics,
                                         interval=self.tick_interval))
        return built

    def poller(self) -> IngestionWorker | None:
        """One poll of every chain for the watched tickers in session; None with none to poll."""
        if not self._planned:
            self._planned = True
            plan = self.sources.plan()
            if plan.polled:
                source = ProviderQuoteSource(plan.polled, is_open=self.sources.is_open,
                                             market_hours_only=self.market_hours_only)
                self._poller = IngestionWorker(source, self.bus, self.clock, self.metrics,
                                               name="quote-ingestion")
        return self._poller
