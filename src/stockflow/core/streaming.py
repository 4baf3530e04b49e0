"""Live fan-out to WebSocket clients, fed by a pub/sub channel: the machinery every stream shares
(quotes, news). A context says how a message is routed; the hub and the queues do the rest.

Each client owns a queue of slots: a newer frame for the same slot replaces one the client has
not read yet (quotes conflate per ticker), and a queue holds at most `max_slots` frames, dropping
the oldest (news, where every article is its own slot). A slow client therefore costs a bounded
number of frames and never makes the hub wait; fast clients are unaffected.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

import orjson

from stockflow.core.catalogue import Channel
from stockflow.core.lifecycle import cancel_and_wait
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.ports import PubSub

log = get_logger(__name__)
MAX_CONTROL_FRAMES = 32  # snapshots, errors, pongs: a client that never reads drops the oldest


class ClientQueue:
    def __init__(self, max_slots: int | None = None) -> None:
        # Frames are text, encoded once by the hub and shared by every client that gets them.
        self.slots: dict[str, str] = {}
        self.control: deque[str] = deque(maxlen=MAX_CONTROL_FRAMES)
        self.keys: set[str] = set()  # what the client subscribed to (tickers, event types)
        self.max_slots = max_slots
        self.ready = asyncio.Event()

    def offer(self, slot: str, frame: str) -> bool:
        """Queue a frame; True when an unread one was replaced or dropped to make room."""
        lost = slot in self.slots
        self.slots[slot] = frame
        if self.max_slots is not None and len(self.slots) > self.max_slots:
            del self.slots[next(iter(self.slots))]  # the oldest: dicts keep insertion order
            lost = True
        self.ready.set()
        return lost

    def offer_control(self, frame: str) -> None:
        self.control.append(frame)
        self.ready.set()

    def take(self) -> list[str]:
        frames = list(self.control)
        self.control.clear()
        frames.extend(self.slots.values())
        self.slots.clear()
        self.ready.clear()
        return frames

    def pending(self) -> int:
        return len(self.control) + len(self.slots)

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


class StreamHub:
    """Reads one channel and offers each message's frame to the clients subscribed to any of
    its keys. Subclasses say what a message is: `route(item) -> (slot, keys)`."""

    frame_type = "item"
    max_slots: int | None = None

    def __init__(self, pubsub: PubSub, metrics: Metrics, channel: Channel, stream: str, *,
                 heartbeat: float = 15.0) -> None:
        self.name = f"{stream}-hub"
        self.heartbeat = heartbeat
        self.pubsub = pubsub
        self.metrics = metrics
        self.channel = channel
        self.stream = stream
        self.clients: set[ClientQueue] = set()
        self.by_key: dict[str, set[ClientQueue]] = {}
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0

    def route(self, item: dict[str, Any]) -> tuple[str, Iterable[str]]:
        raise NotImplementedError

    async def start(self) -> None:
        subscription = self.pubsub.subscribe(self.channel.name)
        self._task = asyncio.create_task(self._run(subscription), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self, subscription: Any) -> None:
        try:
            async for _channel, message in subscription:
                try:
                    self.dispatch(orjson.loads(message))
                except (orjson.JSONDecodeError, TypeError, KeyError):
                    log.warning("unreadable stream message on pub/sub", stream=self.stream,
                                size=len(message))
        finally:
            await subscription.close()

    def dispatch(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            slot, keys = self.route(item)
            listeners: set[ClientQueue] = set()
            for key in keys:
                listeners |= self.by_key.get(key, set())
            if not listeners:
                continue
            frame = orjson.dumps({"type": self.frame_type, "data": item}).decode()  # once
            for client in listeners:
                if client.offer(slot, frame):
                    self.metrics.ws_dropped.labels(self.stream).inc()
            self.delivered += len(listeners)

    def connect(self) -> ClientQueue:
        client = ClientQueue(self.max_slots)
        self.clients.add(client)
        self.metrics.ws_clients.labels(self.stream).set(len(self.clients))
        return client

    def disconnect(self, client: ClientQueue) -> None:
        self.unsubscribe(client, list(client.keys))
        self.clients.discard(client)
        self.metrics.ws_clients.labels(self.stream).set(len(self.clients))

    def subscribe(self, client: ClientQueue, keys: Iterable[str]) -> None:
        for k in keys:
            client.keys.add(k)
            self.by_key.setdefault(k, set()).add(client)

    def unsubscribe(self, client: ClientQueue, keys: Iterable[str]) -> None:
        for k in keys:
            client.keys.discard(k)
            client.slots.pop(k, None)  # a conflated frame of that key is no longer wanted
            listeners = self.by_key.get(k)
            if listeners is not None:
                listeners.discard(client)
                if not listeners:
                    del self.by_key[k]
