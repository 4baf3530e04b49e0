"""The tick pipeline's workers (seed 003): ingestion → processor → storage, and realtime fan-out.

Each worker subscribes through the bus port only, so the same code runs in one process on the
in-process bus or as separate processes on Redis Streams or NATS JetStream.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from stockflow.core.events import Event, make_event
from stockflow.core.lifecycle import PeriodicTask
from stockflow.core.logging import get_logger
from stockflow.core.ports import Cache, Clock, EventBus, MarketStore, PubSub
from stockflow.market.domain import Bar, Interval
from stockflow.market.quote_cache import LastQuotes
from stockflow.market.service import quote_key
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

RAW = "market.ticks.raw"
RAW_DLQ = "market.ticks.raw.dlq"
PROCESSED = "market.ticks.processed"
BARS = "market.bar.closed"
QUOTES = "market.quote.updated"
QUOTE_CHANNEL = "stream.quotes"
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
        events = [make_event(RAW, {"ticks": list(c)}, key=self.source.name) for c in chunks(ticks)]
        await self.bus.publish_many(RAW, events)
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
                 max_batch: int = 64) -> None:
        self.processor = processor
        self.bus = bus
        self.clock = clock
        self.metrics = metrics
        self.max_batch = max_batch
        self._flush = PeriodicTask("processor-flush", flush_interval, self.flush, clock)

    async def start(self) -> None:
        self.bus.subscribe_batch(RAW, "processor", self.handle, max_batch=self.max_batch)
        await self._flush.start()

    async def stop(self) -> None:
        await self._flush.stop()

    def _now_us(self) -> int:
        return int(self.clock.now().timestamp() * 1_000_000)

    async def handle(self, events: list[Event]) -> None:
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

    async def _publish(self, result: Any) -> None:
        if result.records:
            # Columns straight from the processor's records: no dict per tick on the hot path.
            n = len(result.records)
            await self.bus.publish_many(PROCESSED, [
                make_event(PROCESSED, pack_columns(result.columns(WIRE_COLUMNS, i, i + CHUNK)))
                for i in range(0, n, CHUNK)])
        if result.bars:
            for bar in result.bars:
                self.metrics.bars.labels(bar.interval.value).inc()
            await self.bus.publish_many(BARS, [make_event(BARS, bar_to_event(b), key=b.ticker)
                                               for b in result.bars])
        if result.quotes:
            await self.bus.publish_many(QUOTES, [make_event(QUOTES, q, key=q["ticker"])
                                                 for q in result.quotes])

    async def _dead_letter(self, payload: dict[str, Any], reason: str, detail: str) -> None:
        self.metrics.rejected.labels(reason).inc()
        await self.bus.publish(RAW_DLQ, make_event("pipeline.tick.rejected",
                                                   {**payload, "reason": reason,
                                                    "detail": detail}))


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

    async def start(self) -> None:
        self.bus.subscribe_batch(PROCESSED, "storage", self.handle_ticks, max_batch=self.max_batch)
        self.bus.subscribe_batch(BARS, "storage", self.handle_bars, max_batch=1000)

    async def stop(self) -> None:
        return None

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
        log.info("ticks stored", rows=len(rows), inserted=inserted, duplicates=duplicates,
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
    """Keeps the quote cache fresh and fans quotes out to every API process through pub/sub."""

    name = "realtime"

    def __init__(self, bus: EventBus, cache: Cache, pubsub: PubSub, *, quote_ttl: float,
                 last_quotes: LastQuotes | None = None) -> None:
        self.bus = bus
        self.cache = cache
        self.pubsub = pubsub
        self.quote_ttl = quote_ttl
        # Remembered past the TTL, so the API can serve them marked stale if providers fail.
        self.last_quotes = last_quotes

    async def start(self) -> None:
        self.bus.subscribe_batch(QUOTES, "realtime", self.handle, max_batch=500, max_wait=0.01)

    async def stop(self) -> None:
        return None

    async def handle(self, events: list[Event]) -> None:
        latest: dict[str, dict[str, Any]] = {}
        for e in events:  # conflate: within one batch only the newest quote per ticker matters
            ticker = e.data.get("ticker")
            if isinstance(ticker, str):
                latest[ticker] = e.data
        if not latest:
            return
        encoded = {t: orjson.dumps(q) for t, q in latest.items()}
        await self.cache.set_many({quote_key(t): v for t, v in encoded.items()}, self.quote_ttl)
        if self.last_quotes is not None:
            await self.last_quotes.put_many(encoded, at=max(e.time for e in events))
        await self.pubsub.publish(QUOTE_CHANNEL, b"[" + b",".join(encoded.values()) + b"]")


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
