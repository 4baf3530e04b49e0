"""Streaming ingestion: a broker's WebSocket feed read continuously and published to
market.ticks.raw in small batches, reconnecting with full-jitter backoff. A frame that does not
parse goes to the raw dead-letter topic with its reason; the feed goes on.

A feed (adapters/providers/<vendor>/stream.py) says where to connect, what to send after
connecting and how to turn one frame into raw ticks; everything else lives here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from stockflow.core.catalogue import RAW_TICKS, TICK_REJECTED
from stockflow.core.lifecycle import cancel_and_wait
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock, EventBus
from stockflow.core.resilience import full_jitter
from stockflow.core.resilience.errors import ProviderAuthError, ProviderError
from stockflow.pipeline.metrics import PipelineMetrics

log = get_logger(__name__)


class Feed(Protocol):
    name: str

    def url(self) -> str: ...
    def subscribe_messages(self) -> Sequence[str | bytes]: ...
    def parse(self, frame: str | bytes) -> list[dict[str, Any]]:
        """Raw ticks in one frame (possibly none); ProviderError for a frame that is bad."""


class StreamIngestion:
    """Runs one feed as a pipeline ingestion worker (`start`/`stop`, embeddable)."""

    def __init__(self, feed: Feed, bus: EventBus, clock: Clock, metrics: PipelineMetrics, *,
                 flush_seconds: float = 0.1,
                 max_batch: int = 2000, backoff_base: float = 1.0,
                 backoff_cap: float = 60.0) -> None:
        self.feed = feed
        self.name = f"stream-{feed.name}"
        self.bus = bus
        self.clock = clock
        self.metrics = metrics
        self.flush_seconds = flush_seconds
        self.max_batch = max_batch
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.connected = False
        self.connections = 0
        self.rejected = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        failures = 0
        while True:
            try:
                # The URL may carry the vendor's token (Dhan): it is never logged.
                async with connect(self.feed.url(), open_timeout=10, ping_interval=20,
                                   max_size=2**22, max_queue=256) as ws:
                    for message in self.feed.subscribe_messages():
                        await ws.send(message)
                    self.connected = True
                    self.connections += 1
                    failures = 0
                    log.info("feed connected", feed=self.feed.name)
                    await self._read(ws)
            except asyncio.CancelledError:
                raise
            except ProviderAuthError as e:
                failures = max(failures, 5)  # a refused token will not work again at once
                log.error("feed refused the credentials", feed=self.feed.name, error=str(e))
            except Exception as e:  # noqa: BLE001 - any disconnect: back off, reconnect
                log.warning("feed disconnected", feed=self.feed.name,
                            error=f"{type(e).__name__}: {str(e)[:200]}")
            self.connected = False
            await self.clock.sleep(full_jitter(failures, base=self.backoff_base,
                                               cap=self.backoff_cap))
            failures += 1

    async def _read(self, ws: Any) -> None:
        loop = asyncio.get_running_loop()
        buffer: list[dict[str, Any]] = []
        deadline = 0.0
        try:
            while True:
                timeout = max(0.0, deadline - loop.time()) if buffer else None
                try:
                    frame = await asyncio.wait_for(ws.recv(), timeout)
                except TimeoutError:
                    await self._flush(buffer)
                    continue
                try:
                    ticks = self.feed.parse(frame)
                except ProviderAuthError:
                    raise
                except (ProviderError, ValueError, TypeError) as e:
                    await self._reject(frame, e)
                    continue
                if ticks and not buffer:
                    deadline = loop.time() + self.flush_seconds
                buffer.extend(ticks)
                if len(buffer) >= self.max_batch:
                    await self._flush(buffer)
        finally:
            # What arrived before a disconnect is still published.
            await asyncio.shield(self._flush(buffer))

    async def _flush(self, buffer: list[dict[str, Any]]) -> None:
        if not buffer:
            return
        ticks = list(buffer)
        buffer.clear()
        await self.bus.publish(RAW_TICKS.name, RAW_TICKS.event({"ticks": ticks},
                                                               key=self.feed.name))
        self.metrics.ticks.labels("ingestion").inc(len(ticks))
        self.metrics.batch_size.labels("ingestion").observe(len(ticks))

    async def _reject(self, frame: str | bytes, error: Exception) -> None:
        # The same record the processor dead-letters a bad tick with.
        self.rejected += 1
        self.metrics.rejected.labels("unparsable").inc()
        snippet = frame[:300].hex() if isinstance(frame, bytes) else frame[:300]
        await self.bus.publish(RAW_TICKS.dlq, TICK_REJECTED.event({
            "source": self.feed.name, "frame": snippet, "reason": "unparsable",
            "detail": str(error)[:300]}, key=self.feed.name))
