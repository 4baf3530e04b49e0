"""What every bus adapter does with a delivery: retry, split failing batches, dead-letter, count.

The adapters differ in how events arrive and how they are acknowledged; the policy of the
EventBus port (retries, `<topic>.dlq`, the dead-letter shape, metrics) lives here once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from stockflow.core.events import Event, make_event
from stockflow.core.lifecycle import cancel_and_wait
from stockflow.core.logging import get_logger
from stockflow.core.metrics import Metrics
from stockflow.core.ports import BatchHandler, Handler

log = get_logger(__name__)

DEAD_LETTER_TYPE = "bus.dead_letter"
DLQ_SUFFIX = ".dlq"
_RAW_LIMIT = 64 * 1024  # a dead letter carries at most this much of an unparsable payload


def dlq_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def raw_text(raw: Any) -> str:
    if isinstance(raw, bytes | bytearray | memoryview):
        raw = bytes(raw)[:_RAW_LIMIT].decode("utf-8", "replace")
    return str(raw)[:_RAW_LIMIT]


def dead_letter(topic: str, group: str, reason: str, attempts: int, *,
                event: Event | None = None, raw: Any = None) -> Event:
    """The `bus.dead_letter` event: the failed event (or the raw payload that did not parse)."""
    data: dict[str, Any] = {"topic": topic, "group": group, "reason": reason,
                            "attempts": attempts}
    if event is not None:
        data["event"] = event.model_dump(mode="json")
    else:
        data["raw"] = raw_text(raw)
    return make_event(DEAD_LETTER_TYPE, data, key=event.key if event is not None else None)


@dataclass(eq=False)
class Member:
    """One member of a consumer group, as registered by subscribe/subscribe_batch."""

    topic: str
    group: str
    name: str
    handler: Handler | BatchHandler
    batch: bool
    max_batch: int = 1
    max_wait: float = 0.0
    task: asyncio.Task[None] | None = None
    busy: bool = False  # inside a handler or its acknowledgement; stop() lets it finish
    inflight: list[Any] = field(default_factory=list)  # adapter-specific delivery handles
    inflight_since: float = 0.0

    def begin(self, items: list[Any]) -> None:
        self.inflight = items
        self.inflight_since = time.monotonic()
        self.busy = True

    def end(self) -> None:
        self.inflight = []
        self.busy = False


class Delivery:
    """Retry policy and bookkeeping of one (topic, group); never raises a handler's error."""

    def __init__(self, topic: str, group: str, *, max_retries: int, retry_delay: float,
                 metrics: Metrics | None,
                 publish_dead: Callable[[str, Event], Awaitable[None]]) -> None:
        self.topic = topic
        self.group = group
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self._publish_dead = publish_dead
        m = metrics
        self._handled = m.events_handled.labels(topic, group) if m else None
        self._retried = m.events_retried.labels(topic, group) if m else None
        self._dead = m.events_dead.labels(topic, group) if m else None
        self._redelivered = m.events_redelivered.labels(topic, group) if m else None

    @property
    def max_deliveries(self) -> int:
        """Deliveries after which an event whose consumers keep dying is dead-lettered."""
        return self.max_retries + 1

    def redelivered(self, n: int = 1) -> None:
        if self._redelivered is not None and n:
            self._redelivered.inc(n)

    async def admit(self, raw: bytes, deliveries: int) -> Event | None:
        """The event to hand to a handler, or None when the message was dead-lettered instead:
        it does not parse, or it was delivered too often without an acknowledgement."""
        if deliveries > 1:
            self.redelivered()
        try:
            event = Event.from_bytes(raw)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the message's fault
            await self.unparsable(raw, exc)
            return None
        if deliveries > self.max_deliveries:
            await self.crashed(event, None, deliveries)
            return None
        return event

    async def dispatch(self, member: Member, events: list[Event]) -> None:
        """Hand admitted events to the member's handler: as one batch, or one by one in order."""
        if not events:
            return
        if member.batch:
            await self.batch(member.handler, events)  # type: ignore[arg-type]
        else:
            for event in events:
                await self.one(member.handler, event)  # type: ignore[arg-type]

    async def one(self, handler: Handler, event: Event) -> None:
        exc = await self._attempts(handler, event, self.max_retries)
        if exc is None:
            if self._handled is not None:
                self._handled.inc()
        else:
            await self.dead(event, repr(exc), self.max_retries + 1)

    async def batch(self, handler: BatchHandler, events: list[Event]) -> None:
        """Retry the whole batch, then split it in halves until the failing events stand alone."""
        if not events:
            return
        exc = await self._attempts(handler, events, self.max_retries)
        if exc is None:
            if self._handled is not None:
                self._handled.inc(len(events))
            return
        if len(events) == 1:
            await self.dead(events[0], repr(exc), self.max_retries + 1)
            return
        log.warning("batch failed, splitting it to find the failing events", topic=self.topic,
                    group=self.group, size=len(events), reason=repr(exc))
        await self._split(handler, events, self.max_retries + 1)

    async def _split(self, handler: BatchHandler, events: list[Event], tried: int) -> None:
        mid = len(events) // 2
        for part in (events[:mid], events[mid:]):
            if len(part) == 1:
                exc = await self._attempts(handler, part, self.max_retries)
                if exc is not None:
                    await self.dead(part[0], repr(exc), tried + self.max_retries + 1)
                    continue
            else:
                exc = await self._attempts(handler, part, 0)
                if exc is not None:
                    await self._split(handler, part, tried + 1)
                    continue
            if self._handled is not None:
                self._handled.inc(len(part))

    async def _attempts(self, handler: Callable[[Any], Awaitable[None]], arg: Any,
                        retries: int) -> Exception | None:
        attempt = 0
        while True:
            try:
                await handler(arg)
                return None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a handler's bug must not stop the group
                if attempt >= retries:
                    return exc
                attempt += 1
                if self._retried is not None:
                    self._retried.inc()
                if self.retry_delay:
                    await asyncio.sleep(self.retry_delay * attempt)

    async def dead(self, event: Event, reason: str, attempts: int) -> None:
        log.warning("event dead-lettered", topic=self.topic, group=self.group,
                    event_id=event.id, reason=reason, attempts=attempts)
        await self._send(dead_letter(self.topic, self.group, reason, attempts, event=event))

    async def unparsable(self, raw: Any, error: Exception | str) -> None:
        reason = f"unparsable message: {error!r}" if isinstance(error, Exception) else error
        log.warning("unparsable message dead-lettered", topic=self.topic, group=self.group,
                    reason=reason)
        await self._send(dead_letter(self.topic, self.group, reason, 0, raw=raw))

    async def crashed(self, event: Event | None, raw: Any, deliveries: int) -> None:
        """An event delivered too often without an acknowledgement (its consumers keep dying)."""
        reason = (f"delivered {deliveries} times without acknowledgement "
                  f"(max_retries={self.max_retries}); its consumers died or timed out")
        log.warning("event dead-lettered after repeated redelivery", topic=self.topic,
                    group=self.group, deliveries=deliveries)
        await self._send(dead_letter(self.topic, self.group, reason, deliveries,
                                     event=event, raw=raw))

    async def _send(self, letter: Event) -> None:
        if self._dead is not None:
            self._dead.inc()
        if self.topic.endswith(DLQ_SUFFIX):
            # No dead letters of dead letters: the failure is logged and counted above.
            log.error("dead-letter topic handler failed; event dropped", topic=self.topic,
                      group=self.group)
            return
        await self._publish_dead(dlq_topic(self.topic), letter)


async def halt(members: Sequence[Member], grace: float) -> None:
    """Stop member tasks: idle ones at once, busy ones after their handler (at most `grace` s)."""
    tasks = [m.task for m in members if m.task is not None and not m.task.done()]
    for m in members:
        if m.task is not None and not m.busy:
            m.task.cancel()
    if tasks:
        _, late = await asyncio.wait(tasks, timeout=grace)
        # Together, not one after the other: each may take up to its patience to stop.
        await asyncio.gather(*(cancel_and_wait(t) for t in late))
    for m in members:
        m.task = None


def url_options(url: str, spec: Mapping[str, type], given: dict[str, Any],
                ) -> tuple[str, dict[str, Any]]:
    """Split adapter options out of a URL's query string; keyword arguments win over the URL.

    Returns the URL without those options (for the client library) and the merged options.
    """
    parts = urlsplit(url)
    keep: list[tuple[str, str]] = []
    options: dict[str, Any] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        kind = spec.get(name)
        if kind is None:
            keep.append((name, value))
        elif kind is bool:
            options[name] = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            options[name] = kind(value)
    unknown = set(given) - set(spec)
    if unknown:
        raise TypeError(f"unknown bus option(s): {', '.join(sorted(unknown))}")
    options.update(given)
    return urlunsplit(parts._replace(query=urlencode(keep))), options
