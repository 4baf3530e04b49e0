"""The tick pipeline (seed 003): ingestion → processor → storage, and realtime fan-out. Each
stage is a worker (`stockflow worker NAME`), all of them inside `stockflow up`."""

from __future__ import annotations

from stockflow.core.module import ContextModule, ContextParts, Plan, Platform, Worker
from stockflow.pipeline.config import PipelineSettings

WORKERS = ("ingestion", "processor", "storage", "realtime")


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.market.ports import (
        MarketCalendars,
        MarketReader,
        MarketStore,
        QuoteSink,
        StartupHistory,
        TickPlanner,
    )
    from stockflow.pipeline import handlers as w
    from stockflow.pipeline import tasks
    from stockflow.pipeline.metrics import PipelineMetrics
    from stockflow.pipeline.processor import TickProcessor
    from stockflow.pipeline.repository import SqlTickStore
    from stockflow.pipeline.service import Ingestion

    s, ports = p.settings, p.ports
    metrics = PipelineMetrics(p.metrics.registry)
    ps = s.pipeline
    ingestion = Ingestion(ports.get(TickPlanner), p.bus, p.clock, metrics,
                          tick_interval=s.simulator.tick_interval_seconds,
                          market_hours_only=s.ingestion.market_hours_only)

    def ingestion_worker() -> Worker:
        loops = ingestion.loops() if s.services.live_quotes else []
        return Worker("ingestion", loops=loops)

    def processor_worker() -> Worker:
        market = ports.get(MarketReader)
        universe = {i.ticker: i for i in market.universe}
        processor = TickProcessor(
            symbol_map=ps.symbol_map, universe=set(universe),
            exchange_of=lambda t: universe[t].exchange if t in universe else None,
            instrument_of=universe.get, calendars=ports.get(MarketCalendars),
            lateness_seconds=ps.lateness_seconds, max_future_seconds=ps.max_future_seconds)
        worker = w.ProcessorWorker(processor, p.bus, p.clock, metrics,
                                   max_batch=ps.processor_batch_events,
                                   history=ports.get(MarketStore), tickers=list(universe),
                                   startup=ports.find(StartupHistory))
        return Worker("processor", handlers=worker.handlers(), loops=worker.loops(), unit=worker)

    def storage_worker() -> Worker:
        writer = w.StorageWriter(SqlTickStore(p.db, dedup=ps.dedup), ports.get(MarketStore),
                                 p.bus, metrics, max_batch=ps.storage_batch_events,
                                 crash_after_commits=ps.crash_after_commits)
        return Worker("storage", handlers=writer.handlers(), unit=writer)

    def realtime_worker() -> Worker:
        broadcaster = w.RealtimeBroadcaster(ports.get(QuoteSink), p.pubsub)
        return Worker("realtime", handlers=broadcaster.handlers(), unit=broadcaster)

    return ContextParts(
        "pipeline",
        ports={Ingestion: ingestion, PipelineMetrics: metrics},
        workers={"ingestion": ingestion_worker, "processor": processor_worker,
                 "storage": storage_worker, "realtime": realtime_worker},
        jobs=tasks.jobs(ingestion, polls=ports.get(TickPlanner).polls))


MODULE = ContextModule(
    name="pipeline",
    build=build,
    settings={"pipeline": PipelineSettings},
    workers=WORKERS,
    tables="stockflow.pipeline.tables",
)
