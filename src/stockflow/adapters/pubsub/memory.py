"""In-process pub/sub: fan-out to bounded per-subscriber queues that drop the oldest when full.

A slow subscriber of a live stream loses old messages instead of slowing the publisher or
growing without bound; its `dropped` count (and stockflow_pubsub_dropped) says how many.
`memory://?queue_size=1000` sets the per-subscriber bound.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from stockflow.adapters.bus.delivery import url_options
from stockflow.core.metrics import Metrics


class LocalSubscription:
    """One subscriber's bounded queue; also the local end of the Redis adapter."""

    def __init__(self, channel: str, maxsize: int, *, metrics: Metrics | None = None,
                 on_close: Callable[[LocalSubscription], None] | None = None,
                 ready: asyncio.Event | None = None) -> None:
        self.channel = channel
        self.dropped = 0
        self._queue: deque[tuple[str, bytes]] = deque()
        self._maxsize = max(1, maxsize)
        self._wake = asyncio.Event()
        self._closed = False
        self._metrics = metrics
        self._on_close = on_close
        self._ready = ready

    def push(self, channel: str, message: bytes) -> None:
        if self._closed:
            return
        if len(self._queue) >= self._maxsize:
            self._queue.popleft()
            self.dropped += 1
            if self._metrics:
                self._metrics.pubsub_dropped.inc()
        self._queue.append((channel, message))
        self._wake.set()

    async def ready(self) -> None:
        """Return once the subscription is registered where messages are published; messages
        published before that may be missed (fire-and-forget)."""
        if self._ready is not None:
            await self._ready.wait()

    def __aiter__(self) -> LocalSubscription:
        return self

    async def __anext__(self) -> tuple[str, bytes]:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return self._queue.popleft()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.clear()
        self._wake.set()
        if self._on_close is not None:
            self._on_close(self)


class MemoryPubSub:
    def __init__(self, *, queue_size: int = 1000, metrics: Metrics | None = None) -> None:
        self._queue_size = queue_size
        self._metrics = metrics
        self._subs: dict[str, set[LocalSubscription]] = {}

    async def publish(self, channel: str, message: bytes) -> None:
        for sub in self._subs.get(channel, ()):
            sub.push(channel, message)

    def subscribe(self, channel: str) -> LocalSubscription:
        sub = LocalSubscription(channel, self._queue_size, metrics=self._metrics,
                                on_close=self._forget)
        self._subs.setdefault(channel, set()).add(sub)
        return sub

    def _forget(self, sub: LocalSubscription) -> None:
        subs = self._subs.get(sub.channel)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.channel]

    async def close(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                await sub.close()


def make_pubsub(url: str, *, metrics: Metrics | None = None, **options: Any) -> MemoryPubSub:
    _, opts = url_options(url, {"queue_size": int}, options)
    return MemoryPubSub(metrics=metrics, **opts)
