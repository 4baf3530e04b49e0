"""Event bus on Redis Streams: one stream per topic, one consumer group per subscriber group.

URL: `redis://host:6379/0?claim_idle_ms=1000&maxlen=100000` (`rediss://` for TLS). Options,
from the query string or as keyword arguments (keywords win):

- `prefix` ("stockflow:"): stream key = prefix + topic; the dead letters of a topic go to the
  stream of `<topic>.dlq`.
- `maxlen` (1_000_000): XADD ... MAXLEN ~ maxlen; 0 keeps everything.
- `group_start` ("0"): where a new group starts. "0" = the beginning of the retained stream,
  so a pipeline stage deployed later still sees what was published before it; "$" = new only.
- `claim_idle_ms` (30_000): entries unacknowledged this long (their consumer died) are taken
  over with XAUTOCLAIM by a live member of the group; `claim_interval_ms` (claim_idle_ms / 4)
  is how often each bus looks for them. A live member whose handler runs long keeps its
  entries with XCLAIM ... JUSTID, which does not count as a delivery.
- `block_ms` (1000): XREADGROUP BLOCK; `prefetch` (10): XREADGROUP COUNT for `subscribe`
  (`subscribe_batch` reads `max_batch`).
- `lag_interval_s` (5.0): how often stockflow_bus_consumer_lag{topic,group} is refreshed from
  XINFO GROUPS (lag + pending); `consumer_gc_ms` (3_600_000): consumers idle this long with
  nothing pending are removed from the group (0 = never).
- `retry_delay` (0.0) seconds times the attempt number between handler retries;
  `stop_grace_s` (5.0): how long stop() lets running handlers finish.

publish_many appends up to 1000 events or ~1 MiB per EVALSHA (a Lua loop of XADD): ~4x the
rate of a pipeline, whose client-side cost per command dominates; the byte bound lets consumers
start on the first chunk of a burst of large events instead of after the whole burst.
Acknowledgement: one XACK per read (a batch, or up to `prefetch` single events handled in
order), sent after the handlers returned. The delivery count Redis keeps per pending entry
(XPENDING) bounds redelivery: an entry delivered more than `max_retries + 1` times without an
ack is dead-lettered instead of handed to a handler again.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError, ResponseError

from stockflow.adapters.bus.base import BusBase, Group
from stockflow.adapters.bus.delivery import Delivery, Member, url_options
from stockflow.core.events import Event
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics

log = get_logger(__name__)

_FIELD = b"e"
_PUBLISH_CHUNK = 1000
# A script runs atomically: nobody reads the stream (or uses the server) until it returns, so
# a burst of large events goes in ~1 MiB chunks, each encoded just before it is sent.
_PUBLISH_BYTES = 1 << 20
_XADD_MANY = """
local maxlen = tonumber(ARGV[1])
for i = 2, #ARGV do
  if maxlen > 0 then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'e', ARGV[i])
  else
    redis.call('XADD', KEYS[1], '*', 'e', ARGV[i])
  end
end
return #ARGV - 1
"""
_CLAIM_COUNT = 100

# Process-wide, so two buses in one process never share a default consumer name.
_NAMES = itertools.count(1)

Entry = tuple[bytes, dict[bytes, bytes] | None]


@dataclass(eq=False)
class _Member(Member):
    # Entries XAUTOCLAIMed for this member, with their delivery counts, handled before new ones.
    claimed: deque[tuple[bytes, dict[bytes, bytes] | None, int]] = field(default_factory=deque)
    recover_from: bytes | None = b"0"  # first its own pending entries (after a restart)


@dataclass(eq=False)
class _Group(Group):
    key: str = ""
    claimer: asyncio.Task[None] | None = None
    created: bool = False


class RedisStreamsBus(BusBase):
    kind = "redis"
    member_type = _Member
    expected_errors = (RedisError, OSError)

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *,
                 metrics: Metrics | None = None, max_retries: int = 3,
                 prefix: str = "stockflow:", maxlen: int = 1_000_000, group_start: str = "0",
                 claim_idle_ms: int = 30_000, claim_interval_ms: int = 0, block_ms: int = 1000,
                 prefetch: int = 10, lag_interval_s: float = 5.0,
                 consumer_gc_ms: int = 3_600_000, retry_delay: float = 0.0,
                 stop_grace_s: float = 5.0) -> None:
        if group_start not in ("0", "$"):
            raise ValueError("group_start must be '0' (retained history) or '$' (new only)")
        super().__init__(metrics=metrics, max_retries=max_retries, retry_delay=retry_delay,
                         stop_grace_s=stop_grace_s, prefetch=prefetch,
                         lag_interval_s=lag_interval_s,
                         keepalive_s=max(1, claim_idle_ms) / 3000)
        self._url = url
        self.prefix = prefix
        self._maxlen = maxlen
        self._group_start = group_start
        self._claim_idle_ms = max(1, claim_idle_ms)
        self._claim_interval = (claim_interval_ms or max(10, self._claim_idle_ms // 4)) / 1000
        self._block_ms = max(1, block_ms)
        self._consumer_gc_ms = consumer_gc_ms
        self._client: aioredis.Redis | None = None
        self._xadd_many: AsyncScript | None = None
        self._consumer_base = f"{socket.gethostname()}-{os.getpid()}"

    def key(self, topic: str) -> str:
        return f"{self.prefix}{topic}"

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(self._url)
        return self._client

    # -- groups and lifecycle -------------------------------------------------------------

    def _new_group(self, topic: str, group: str, delivery: Delivery) -> _Group:
        return _Group(topic, group, delivery, key=self.key(topic))

    def _member_name(self, group: str) -> str:
        return f"{self._consumer_base}-{next(_NAMES)}"

    def _launch(self, g: _Group, m: Member) -> None:
        super()._launch(g, m)
        if g.claimer is None:
            g.claimer = asyncio.create_task(self._claim_loop(g), name=f"bus-claim:{g.key}")
            self._background.append(g.claimer)

    async def _halted(self, members: Sequence[Member]) -> None:
        # Unacknowledged entries stay pending: a member with the same consumer name takes them
        # back when it starts; otherwise another member claims them after `claim_idle_ms`.
        for g in self._groups.values():
            g.claimer = None

    async def _disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
            self._xadd_many = None

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> None:
        kw = {"maxlen": self._maxlen, "approximate": True} if self._maxlen else {}
        await self.client.xadd(self.key(topic), {_FIELD: event.to_bytes()}, **kw)
        self._published(topic, 1)

    async def publish_many(self, topic: str, events: Sequence[Event]) -> None:
        # One EVALSHA per chunk of XADDs: a pipeline spends ~4x more client time packing and
        # parsing one command per event. Each chunk is appended atomically; chunks are bounded
        # in bytes too, so the consumers overlap with the rest of a large burst.
        if self._xadd_many is None:
            self._xadd_many = self.client.register_script(_XADD_MANY)
        key = [self.key(topic)]
        args: list[Any] = [self._maxlen]
        size = 0
        for e in events:
            raw = e.to_bytes()
            args.append(raw)
            size += len(raw)
            if size >= _PUBLISH_BYTES or len(args) > _PUBLISH_CHUNK:
                await self._xadd_many(keys=key, args=args)
                args = [self._maxlen]
                size = 0
        if len(args) > 1:
            await self._xadd_many(keys=key, args=args)
        self._published(topic, len(events))

    # -- consuming -------------------------------------------------------------------------

    async def _ensure(self, g: _Group) -> None:
        if g.created:
            return
        try:
            await self.client.xgroup_create(g.key, g.name, id=self._group_start, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        g.created = True

    async def _step(self, g: _Group, m: _Member) -> None:
        await self._ensure(g)
        if m.claimed:
            batch = [m.claimed.popleft() for _ in range(min(m.max_batch, len(m.claimed)))]
            entries: list[Entry] = [(i, f) for i, f, _ in batch]
            await self._process(g, m, entries, {i: n for i, _, n in batch})
        elif m.recover_from is not None:
            entries = await self._read(g, m, m.recover_from, None)
            if not entries:
                m.recover_from = None
                return
            m.recover_from = entries[-1][0]
            await self._process(g, m, entries, await self._counts(g, m, entries))
        else:
            entries = await self._read_new(g, m)
            if entries:
                await self._process(g, m, entries, None)

    def _recover(self, g: _Group, m: Member, exc: Exception) -> bool:
        if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
            g.created = False  # the stream was deleted under us: recreate the group
            return True
        return False

    async def _read(self, g: _Group, m: _Member, start: bytes | str, block: int | None,
                    count: int | None = None) -> list[Entry]:
        resp = await self.client.xreadgroup(g.name, m.name, {g.key: start},
                                            count=count or m.max_batch, block=block)
        if not resp:
            return []
        if isinstance(resp, dict):  # RESP3 (protocol=3 in the URL): {key: [entries]}
            return list(next(iter(resp.values()))[0])
        return list(resp[0][1])

    async def _read_new(self, g: _Group, m: _Member) -> list[Entry]:
        entries = await self._read(g, m, ">", self._block_ms)
        if m.batch and entries and len(entries) < m.max_batch and m.max_wait > 0:
            deadline = time.monotonic() + m.max_wait
            while len(entries) < m.max_batch:
                left_ms = int((deadline - time.monotonic()) * 1000)
                if left_ms < 1:
                    break
                more = await self._read(g, m, ">", left_ms, m.max_batch - len(entries))
                if not more:
                    break
                entries.extend(more)
        return entries

    async def _counts(self, g: _Group, m: _Member, entries: Sequence[Entry]) -> dict[bytes, int]:
        """Delivery counts (XPENDING) of entries this member holds."""
        rows = await self.client.xpending_range(
            g.key, g.name, min=entries[0][0], max=entries[-1][0],
            count=len(entries) + len(m.claimed) + len(m.inflight) + 16, consumername=m.name)
        return {r["message_id"]: r["times_delivered"] for r in rows}

    async def _process(self, g: _Group, m: _Member, entries: list[Entry],
                       counts: dict[bytes, int] | None) -> None:
        d = g.delivery
        ids = [i for i, _ in entries]
        m.begin(ids)
        events: list[Event] = []
        for entry_id, fields in entries:
            n = counts.get(entry_id, 2) if counts is not None else 1
            if fields is None:
                d.redelivered(int(n > 1))
                await d.unparsable(b"", "entry trimmed from the stream before it was acknowledged")
            elif (raw := fields.get(_FIELD)) is None:
                d.redelivered(int(n > 1))
                await d.unparsable(repr(fields), "unparsable message: no 'e' field in the entry")
            elif (event := await d.admit(raw, n)) is not None:
                events.append(event)
        await d.dispatch(m, events)
        await self.client.xack(g.key, g.name, *ids)
        m.end()

    # -- background: claiming, keep-alive, lag ---------------------------------------------

    async def _claim_loop(self, g: _Group) -> None:
        while True:
            await asyncio.sleep(self._claim_interval)
            try:
                await self._claim(g)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried next round
                if self._closing:
                    return  # a cancellation the client turned into an error of its own
                log.warning("redis bus claim failed", topic=g.topic, group=g.name,
                            error=repr(exc))

    async def _claim(self, g: _Group) -> None:
        members = [m for m in g.members.values() if m.task is not None and not m.task.done()]
        if not members or not g.created:
            return
        start: bytes | str = "0-0"
        while True:
            target = min(members, key=lambda m: len(m.claimed))
            resp = await self.client.xautoclaim(g.key, g.name, target.name, self._claim_idle_ms,
                                                start_id=start, count=_CLAIM_COUNT)
            start, entries = resp[0], resp[1]
            if len(resp) > 2 and resp[2]:
                log.warning("pending entries were trimmed before anyone acknowledged them",
                            topic=g.topic, group=g.name, count=len(resp[2]))
            if entries:
                counts = await self._counts(g, target, entries)
                target.claimed.extend((i, f, counts.get(i, 2)) for i, f in entries)
                log.info("claimed entries of a dead consumer", topic=g.topic, group=g.name,
                         consumer=target.name, count=len(entries))
            if start in (b"0-0", "0-0"):
                return

    async def _keep_alive(self, g: _Group, m: _Member, held: list[Any]) -> None:
        ids = held + [i for i, _, _ in m.claimed]
        if ids:
            # JUSTID: resets the idle time without counting a delivery.
            await self.client.xclaim(g.key, g.name, m.name, 0, ids, justid=True)

    async def _observe(self, g: _Group) -> int | None:
        if not g.created:
            return None
        behind = None
        if self._metrics:
            for info in await self.client.xinfo_groups(g.key):
                if info["name"] == g.name.encode():
                    behind = (info.get("lag") or 0) + (info.get("pending") or 0)
        if self._consumer_gc_ms:
            for c in await self.client.xinfo_consumers(g.key, g.name):
                name = c["name"].decode()
                if c["pending"] == 0 and c["idle"] > self._consumer_gc_ms \
                        and name not in g.members:
                    await self.client.xgroup_delconsumer(g.key, g.name, name)
        return behind


_OPTIONS = {"prefix": str, "maxlen": int, "group_start": str, "claim_idle_ms": int,
            "claim_interval_ms": int, "block_ms": int, "prefetch": int,
            "lag_interval_s": float, "consumer_gc_ms": int, "retry_delay": float,
            "stop_grace_s": float}


def make_bus(url: str, *, metrics: Metrics | None = None, max_retries: int = 3,
             **options: Any) -> RedisStreamsBus:
    clean, opts = url_options(url, _OPTIONS, options)
    return RedisStreamsBus(clean, metrics=metrics, max_retries=max_retries, **opts)
