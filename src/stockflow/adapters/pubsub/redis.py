"""Redis pub/sub: PUBLISH/SUBSCRIBE on channel names, fanned out locally to bounded queues.

One SUBSCRIBE per channel per process, however many local subscribers; each subscriber has
its own drop-oldest queue (see pubsub.memory). Nothing is stored: a process that is not
subscribed when a message is published never sees it.
URL: `redis://host:6379/0?queue_size=1000&prefix=` (`prefix`, default "", goes before every
channel name on the server; subscribers see the channel names they subscribed to).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub as RedisPubSubConnection
from redis.exceptions import RedisError

from stockflow.adapters.bus.delivery import url_options
from stockflow.adapters.pubsub.memory import LocalSubscription
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics

log = get_logger(__name__)


class RedisPubSub:
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, queue_size: int = 1000,
                 prefix: str = "", metrics: Metrics | None = None) -> None:
        self._url = url
        self._queue_size = queue_size
        self.prefix = prefix
        self._metrics = metrics
        self._client: aioredis.Redis | None = None
        self._ps: RedisPubSubConnection | None = None
        self._subs: dict[str, set[LocalSubscription]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._control = asyncio.Lock()  # SUBSCRIBE/UNSUBSCRIBE in the order they were asked
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[None] | None = None

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(self._url)
        return self._client

    async def publish(self, channel: str, message: bytes) -> None:
        await self.client.publish(self.prefix + channel, message)

    def subscribe(self, channel: str) -> LocalSubscription:
        subs = self._subs.setdefault(channel, set())
        if not subs:
            self._confirmed[channel] = asyncio.Event()
            self._spawn(self._server_subscribe(channel))
        sub = LocalSubscription(channel, self._queue_size, metrics=self._metrics,
                                on_close=self._forget, ready=self._confirmed[channel])
        subs.add(sub)
        return sub

    def _forget(self, sub: LocalSubscription) -> None:
        subs = self._subs.get(sub.channel)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self._subs[sub.channel]
            self._confirmed.pop(sub.channel, None)
            if self._ps is not None:
                self._spawn(self._server_unsubscribe(sub.channel))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _server_subscribe(self, channel: str) -> None:
        async with self._control:
            if channel not in self._subs:
                return  # closed before we got here
            if self._ps is None:
                self._ps = self.client.pubsub()
            try:
                await self._ps.subscribe(self.prefix + channel)
            except (RedisError, OSError) as exc:
                log.error("redis SUBSCRIBE failed", channel=channel, error=repr(exc))
                return
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(self._ps), name="pubsub-redis")

    async def _server_unsubscribe(self, channel: str) -> None:
        async with self._control:
            if channel in self._subs or self._ps is None:
                return  # someone subscribed again meanwhile
            with contextlib.suppress(RedisError, OSError):
                await self._ps.unsubscribe(self.prefix + channel)

    async def _read(self, ps: RedisPubSubConnection) -> None:
        cut = len(self.prefix)
        while True:
            try:
                msg = await ps.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("redis pub/sub read failed; retrying", error=repr(exc))
                await asyncio.sleep(0.5)
                continue
            if msg is None:
                continue
            channel = msg["channel"].decode()[cut:]
            if msg["type"] == "message":
                for sub in self._subs.get(channel, ()):
                    sub.push(channel, msg["data"])
            elif msg["type"] == "subscribe" and channel in self._confirmed:
                self._confirmed[channel].set()

    async def close(self) -> None:
        for subs in list(self._subs.values()):
            for sub in list(subs):
                await sub.close()
        for task in list(self._tasks):
            task.cancel()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if self._ps is not None:
            await self._ps.aclose()
            self._ps = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def make_pubsub(url: str, *, metrics: Metrics | None = None, **options: Any) -> RedisPubSub:
    clean, opts = url_options(url, {"queue_size": int, "prefix": str}, options)
    return RedisPubSub(clean, metrics=metrics, **opts)
