"""Live quote fan-out to WebSocket clients, fed by the pub/sub channel the realtime worker fills.

Each client owns a conflating queue: one slot per ticker, so a newer quote replaces one the client
has not read yet. A slow client therefore costs at most one frame per subscribed ticker and never
makes the hub wait; fast clients are unaffected.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import orjson

from stockflow.core.catalogue import QUOTE_STREAM
from stockflow.core.lifecycle import cancel_and_wait
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.ports import PubSub

log = get_logger(__name__)
MAX_CONTROL_FRAMES = 32  # snapshots, errors, pongs: a client that never reads drops the oldest


class ClientQueue:
    def __init__(self) -> None:
        # Frames are text, encoded once by the hub and shared by every client that gets them.
        self.quotes: dict[str, str] = {}
        self.control: deque[str] = deque(maxlen=MAX_CONTROL_FRAMES)
        self.tickers: set[str] = set()
        self.ready = asyncio.Event()

    def offer(self, ticker: str, frame: str) -> bool:
        """Queue a quote frame; returns True when it replaced an unread one (conflation)."""
        replaced = ticker in self.quotes
        self.quotes[ticker] = frame
        self.ready.set()
        return replaced

    def offer_control(self, frame: str) -> None:
        self.control.append(frame)
        self.ready.set()

    def take(self) -> list[str]:
        frames = list(self.control)
        self.control.clear()
        frames.extend(self.quotes.values())
        self.quotes.clear()
        self.ready.clear()
        return frames

    def pending(self) -> int:
        return len(self.control) + len(self.quotes)

    async def wait(self, timeout: float) -> bool:
        """Until frames are queued (True), or `timeout` seconds pass without any (False).

        Frames queued while the last ones were being sent return at once, with no timer. Else
        `asyncio.timeout`, not `asyncio.wait_for`: on Python 3.11 wait_for wraps the wait in a
        new task, once per wake-up of every client."""
        if self.ready.is_set():
            return True
        try:
            async with asyncio.timeout(timeout):
                await self.ready.wait()
        except TimeoutError:
            return False
        return True


class QuoteHub:
    name = "quote-hub"

    def __init__(self, pubsub: PubSub, metrics: Metrics, stream: str = "quotes", *,
                 heartbeat: float = 15.0) -> None:
        self.heartbeat = heartbeat
        self.pubsub = pubsub
        self.metrics = metrics
        self.stream = stream
        self.clients: set[ClientQueue] = set()
        self.by_ticker: dict[str, set[ClientQueue]] = {}
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0

    async def start(self) -> None:
        subscription = self.pubsub.subscribe(QUOTE_STREAM.name)
        self._task = asyncio.create_task(self._run(subscription), name="quote-hub")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self, subscription: Any) -> None:
        try:
            async for _channel, message in subscription:
                try:
                    self.dispatch(orjson.loads(message))
                except (orjson.JSONDecodeError, TypeError, KeyError):
                    log.warning("unreadable quote message on pub/sub", size=len(message))
        finally:
            await subscription.close()

    def dispatch(self, quotes: list[dict[str, Any]]) -> None:
        for quote in quotes:
            listeners = self.by_ticker.get(quote["ticker"])
            if not listeners:
                continue
            frame = orjson.dumps({"type": "quote", "data": quote}).decode()  # once for all clients
            for client in listeners:
                if client.offer(quote["ticker"], frame):
                    self.metrics.ws_dropped.labels(self.stream).inc()
            self.delivered += len(listeners)

    def connect(self) -> ClientQueue:
        client = ClientQueue()
        self.clients.add(client)
        self.metrics.ws_clients.labels(self.stream).set(len(self.clients))
        return client

    def disconnect(self, client: ClientQueue) -> None:
        self.unsubscribe(client, list(client.tickers))
        self.clients.discard(client)
        self.metrics.ws_clients.labels(self.stream).set(len(self.clients))

    def subscribe(self, client: ClientQueue, tickers: list[str]) -> None:
        for t in tickers:
            client.tickers.add(t)
            self.by_ticker.setdefault(t, set()).add(client)

    def unsubscribe(self, client: ClientQueue, tickers: list[str]) -> None:
        for t in tickers:
            client.tickers.discard(t)
            client.quotes.pop(t, None)
            listeners = self.by_ticker.get(t)
            if listeners is not None:
                listeners.discard(client)
                if not listeners:
                    del self.by_ticker[t]
