"""The tick pipeline's workers (seed 003): ingestion → processor → storage, and realtime fan-out.

Each worker subscribes through the bus port only, so the same code runs in one process on the
in-process bus or as separate processes on Redis Streams or NATS JetStream.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import orjson

from stockflow.core.catalogue import (
    BAR_CLOSED,
    PROCESSED_TICKS,
    QUOTE_STREAM,
    QUOTE_UPDATED,
    RAW_TICKS,
    TICK_REJECTED,
)
from stockflow.core.events import Event
from stockflow.core.lifecycle import PeriodicTask
from stockflow.core.logging import get_logger
from stockflow.core.module import HandlerSpec
from stockflow.core.ports import Clock, EventBus, PubSub
from stockflow.market.domain import Bar, Interval

# The longest session (crypto, a UTC day) in 1-minute bars.
SESSION_MINUTES = 24 * 60
from stockflow.market.ports import MarketStore, QuoteSink, StartupHistory
from stockflow.pipeline.metrics import PipelineMetrics
from stockflow.pipeline.processor import TickProcessor
from stockflow.pipeline.repository import (
    WIRE_COLUMNS,
    SqlTickStore,
    pack_columns,
    tick_row,
    unpack_rows,
)
from stockflow.pipeline.sources import TickSource

log = get_logger(__name__)

CHUNK = 2000  # ticks per event: big enough to amortise the envelope, small enough to redeliver


def chunks(items: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def ticks_of(events: Sequence[Event]) -> tuple[list[dict[str, Any]], list[Event]]:
    """Flatten tick batches; events whose payload is not a list of ticks come back as malformed."""
    ticks: list[dict[str, Any]] = []
    malformed = []
    for e in events:
        batch = e.data.get("ticks")
        if isinstance(batch, list):
            ticks.extend(batch)
        else:
            malformed.append(e)
    return ticks, malformed


class IngestionWorker:
    """Polls a tick source and publishes what it yields to market.ticks.raw in batches."""

    name = "ingestion"

    def __init__(self, source: TickSource, bus: EventBus, clock: Clock, metrics: PipelineMetrics,
                 *, interval: float = 1.0, name: str = "ingestion") -> None:
        self.name = name
        self.source = source
        self.bus = bus
        self.clock = clock
        self.metrics = metrics
        self._loop = PeriodicTask(name, interval, self.run_once, clock)

    async def run_once(self) -> int:
        ticks = await self.source.poll(self.clock.now())
        await self.publish(ticks)
        return len(ticks)

    async def publish(self, ticks: Sequence[dict[str, Any]]) -> None:
        if not ticks:
            return
        events = [RAW_TICKS.event({"ticks": list(c)}, key=self.source.name) for c in chunks(ticks)]
        await self.bus.publish_many(RAW_TICKS.name, events)
        self.metrics.ticks.labels("ingestion").inc(len(ticks))
        self.metrics.batch_size.labels("ingestion").observe(len(ticks))

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()


class ProcessorWorker:
    """Validates, normalises, enriches and aggregates raw ticks; rejects go to the DLQ topic.

    Its state (previous closes, VWAP, open bars) lives in this process, so a group runs one
    processor member; the storage and realtime stages scale out freely.
    """

    name = "processor"

    def __init__(self, processor: TickProcessor, bus: EventBus, clock: Clock,
                 metrics: PipelineMetrics, *, flush_interval: float = 1.0,
                 max_batch: int = 64, history: MarketStore | None = None,
                 tickers: Sequence[str] = (), startup: StartupHistory | None = None) -> None:
        self.processor = processor
        self.bus = bus
        self.clock = clock
        self.metrics = metrics
        self.max_batch = max_batch
        self.history = history
        self.tickers = list(tickers)
        self.startup = startup
        self._resumed: asyncio.Task[None] | None = None
        self._flush = PeriodicTask("processor-flush", flush_interval, self.flush, clock)

    def handlers(self) -> list[HandlerSpec]:
        return [HandlerSpec(RAW_TICKS, "processor", self.handle, batch=True,
                            max_batch=self.max_batch,
                            idempotency="the processor drops ticks it has seen by their "
                                        "identity; storage skips them again")]

    def loops(self) -> list[Any]:
        return [self._flush, _FinalFlush(self)]

    def _now_us(self) -> int:
        return int(self.clock.now().timestamp() * 1_000_000)

    async def resume(self) -> None:
        """Once, before the first batch: each ticker's session so far from its stored 1-minute
        bars, so session figures and open bars survive a restart (`seed_session`)."""
        if self._resumed is None:
            self._resumed = asyncio.create_task(self._load_sessions())
        await self._resumed

    async def _load_sessions(self) -> None:
        if self.history is None:
            return
        if self.startup is not None:  # the gap since the last run is being backfilled
            await self.startup.recent_loaded()
        now = self.clock.now()
        for ticker in self.tickers:
            bars = await self.history.last_bars(ticker, Interval.M1, now, SESSION_MINUTES + 1)
            self.processor.seed_session(ticker, bars)
        log.debug("processor resumed sessions from stored bars", tickers=len(self.tickers))

    async def handle(self, events: list[Event]) -> None:
        if self._resumed is None or not self._resumed.done():
            await self.resume()
        raw, malformed = ticks_of(events)
        for e in malformed:
            await self._dead_letter({"event": e.model_dump(mode="json")}, "malformed_batch",
                                    "event data has no 'ticks' list")
        result = self.processor.process(raw, self._now_us())
        self.metrics.ticks.labels("processor").inc(len(result.records))
        self.metrics.batch_size.labels("processor").observe(len(raw))
        if result.duplicates:
            self.metrics.duplicates.labels("processor").inc(result.duplicates)
        for tick, reason, detail in result.rejects:
            await self._dead_letter({"tick": tick}, reason, detail)
        await self._publish(result)

    async def flush(self) -> None:
        await self._publish(self.processor.flush(self._now_us()))

    async def final_flush(self, grace: float = 5.0) -> None:
        """At shutdown: publish every bar whose minute has ended, and on a bus that keeps
        nothing across a restart (the in-process one) wait until storage has them."""
        await self._publish(self.processor.flush(self._now_us(), final=True))
        if isinstance(self.bus, Drainable):
            try:
                async with asyncio.timeout(grace):
                    await self.bus.drain()
            except TimeoutError:
                log.warning("bars still queued at shutdown", grace_seconds=grace)

    async def _publish(self, result: Any) -> None:
        if result.records:
            # Columns straight from the processor's records: no dict per tick on the hot path.
            n = len(result.records)
            await self.bus.publish_many(PROCESSED_TICKS.name, [
                PROCESSED_TICKS.event(pack_columns(result.columns(WIRE_COLUMNS, i, i + CHUNK)))
                for i in range(0, n, CHUNK)])
        if result.bars:
            for bar in result.bars:
                self.metrics.bars.labels(bar.interval.value).inc()
            await self.bus.publish_many(BAR_CLOSED.name, [
                BAR_CLOSED.event(bar_to_event(b), key=b.ticker) for b in result.bars])
        if result.quotes:
            await self.bus.publish_many(QUOTE_UPDATED.name, [
                QUOTE_UPDATED.event(q, key=q["ticker"]) for q in result.quotes])

    async def _dead_letter(self, payload: dict[str, Any], reason: str, detail: str) -> None:
        self.metrics.rejected.labels(reason).inc()
        await self.bus.publish(RAW_TICKS.dlq, TICK_REJECTED.event(
            {**payload, "reason": reason, "detail": detail}))


@runtime_checkable
class Drainable(Protocol):
    """A bus whose queued events die with the process: it can wait until they are handled."""

    async def drain(self) -> None: ...


class _FinalFlush:
    """A loop that only acts when it stops: the processor's final flush at shutdown."""

    name = "processor-final-flush"

    def __init__(self, worker: ProcessorWorker) -> None:
        self.worker = worker

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.worker.final_flush()


class StorageWriter:
    """Writes processed ticks and closed bars in bulk. The bus acknowledges a batch only after
    this handler returns, i.e. after the commit; identities make a redelivered batch a no-op."""

    name = "storage"

    def __init__(self, ticks: SqlTickStore, bars: MarketStore, bus: EventBus,
                 metrics: PipelineMetrics, *, max_batch: int = 50,
                 crash_after_commits: int = 0) -> None:
        self.ticks = ticks
        self.bars = bars
        self.bus = bus
        self.metrics = metrics
        self.max_batch = max_batch
        self.crash_after_commits = crash_after_commits
        self.commits = 0

    def handlers(self) -> list[HandlerSpec]:
        return [HandlerSpec(PROCESSED_TICKS, "storage", self.handle_ticks, batch=True,
                            max_batch=self.max_batch,
                            idempotency="insert skipping conflicts on the tick identity "
                                        "(provider, symbol, seq)"),
                HandlerSpec(BAR_CLOSED, "storage", self.handle_bars, batch=True, max_batch=1000,
                            idempotency="upsert on the bar key (ticker, interval, time)")]

    async def handle_ticks(self, events: list[Event]) -> None:
        rows = processed_rows(events, epoch_micros=self.ticks.epoch_micros)
        started = time.perf_counter()
        inserted = await self.ticks.write_rows(rows)
        duplicates = len(rows) - inserted
        self.metrics.ticks.labels("storage").inc(inserted)
        self.metrics.batch_size.labels("storage").observe(len(rows))
        if duplicates:
            self.metrics.duplicates.labels("storage").inc(duplicates)
        self.commits += 1
        log.debug("ticks stored", rows=len(rows), inserted=inserted, duplicates=duplicates,
                 ms=round((time.perf_counter() - started) * 1000, 2))
        if self.crash_after_commits and self.commits >= self.crash_after_commits:
            # Crash drill: the worst moment to die is after the commit and before the ack, when
            # the bus must redeliver a batch that is already stored.
            log.warning("crash drill: exiting after commit, before ack", commits=self.commits)
            os._exit(137)

    async def handle_bars(self, events: list[Event]) -> None:
        bars = [Bar(ticker=d["ticker"], interval=Interval(d["interval"]),
                    time=datetime.fromisoformat(d["time"]), open=d["open"], high=d["high"], low=d["low"],
                    close=d["close"], volume=d["volume"], provider=d.get("provider", "pipeline"))
                for d in (e.data for e in events)]
        await self.bars.write_bars(bars)


class RealtimeBroadcaster:
    """Keeps the market's live quotes fresh and fans quotes out to every API process through
    pub/sub."""

    name = "realtime"

    def __init__(self, sink: QuoteSink, pubsub: PubSub) -> None:
        self.sink = sink
        self.pubsub = pubsub

    def handlers(self) -> list[HandlerSpec]:
        return [HandlerSpec(QUOTE_UPDATED, "realtime", self.handle, batch=True, max_batch=500,
                            max_wait=0.01,
                            idempotency="sets the latest quote per ticker; a repeat sets it again")]

    async def handle(self, events: list[Event]) -> None:
        latest: dict[str, dict[str, Any]] = {}
        for e in events:  # conflate: within one batch only the newest quote per ticker matters
            ticker = e.data.get("ticker")
            if isinstance(ticker, str):
                latest[ticker] = e.data
        if not latest:
            return
        encoded = {t: orjson.dumps(q) for t, q in latest.items()}
        await self.sink.remember(encoded, max(e.time for e in events))
        await self.pubsub.publish(QUOTE_STREAM.name, b"[" + b",".join(encoded.values()) + b"]")


def processed_rows(events: Sequence[Event], *,
                   epoch_micros: bool = False) -> list[tuple[Any, ...]]:
    """The tick rows of processed-tick events: columnar (`pack_ticks`), or a list of tick dicts
    as earlier versions published, so events already on the bus during an upgrade still store.
    Raises ValueError for an event that is neither, which the bus retries and dead-letters.
    `epoch_micros`: columnar times stay integers (see `unpack_rows`)."""
    rows: list[tuple[Any, ...]] = []
    for e in events:
        if "columns" in e.data:
            rows.extend(unpack_rows(e.data, epoch_micros=epoch_micros))
        elif isinstance(e.data.get("ticks"), list):
            rows.extend(tick_row(t) for t in e.data["ticks"])
        else:
            raise ValueError(f"processed-tick event {e.id} has neither 'columns' nor 'ticks'")
    return rows


def bar_to_event(bar: Any) -> dict[str, Any]:
    return {"ticker": bar.ticker, "interval": bar.interval.value, "time": bar.time.isoformat(),
            "open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close,
            "volume": bar.volume, "provider": bar.provider}
