"""Idempotency by event id: the store port and the one-line wrapper that makes a handler use it.

The bus delivers at least once, so any handler with a side effect may see one event twice: after
a member dies with the event unacknowledged, after a retry, or, rarely, on two members at once.
`idempotent(store, consumer)(handler)` (or `idempotent_batch` for `subscribe_batch` handlers)
guards such a handler with an entry per (consumer, event id):

1. **claim with a lease before the side effect.** The first claim wins and holds the entry for
   `lease` seconds. A claim on an entry that is `done` (and not expired) answers DONE: the
   wrapper skips the event. A claim on an entry another attempt holds answers BUSY.
2. **done after the side effect.** The entry becomes permanent until it expires, `retention`
   seconds later (settings: `idempotency.retention_seconds`, 7 days by default), after which it
   is forgotten so the store does not grow forever. A redelivery older than the retention runs
   again.
3. **release on failure.** A handler that raises gives its claim back and the error goes on to
   the bus, which retries and dead-letters as it always does; the retry claims afresh and runs.

A member that crashes between claim and done holds nothing for long: its lease expires and the
redelivered event is claimed by whoever gets it next. So the side effect happens **at least
once**; it happens **exactly once** when the side effect itself is transactional with `done`
(e.g. a write that carries the event id under a unique key) or idempotent on its own.

A concurrent duplicate (BUSY) **waits**: the wrapper polls the store until the other attempt is
done (skip), released (run) or its lease has expired (run), for at most `wait` seconds (the
lease by default, so a crashed holder is outlived); `wait=0` refuses at once. Either way a
duplicate that cannot get the entry raises `EventInProgressError`, so the bus retries it later
instead of acknowledging an event nobody finished.

The lease must outlast the handler's longest run: a handler still running when its lease
expires may be run a second time by another member (its late `done` is then logged as a lost
lease). Owners are unique per attempt, so an attempt can only give back or finish its own claim.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from stockflow.core import registry
from stockflow.core.clock import SystemClock
from stockflow.core.logging import get_logger

if TYPE_CHECKING:
    from stockflow.core.events import Event
    from stockflow.core.ports import BatchHandler, Clock, Handler

log = get_logger(__name__)

DEFAULT_RETENTION = 7 * 86_400.0
DEFAULT_LEASE = 60.0
_FIRST_POLL = 0.05
_MAX_POLL = 1.0


class Claim(StrEnum):
    ACQUIRED = "acquired"  # the caller's now: run the side effect, then done() or release()
    BUSY = "busy"          # another attempt holds an unexpired lease
    DONE = "done"          # processed within the retention: skip


@runtime_checkable
class IdempotencyStore(Protocol):
    """Entries per (consumer, event id): claimed with a lease, or done until they expire.

    Every method takes many ids at once (a batch handler's events); one id is a batch of one.
    `owner` is a token unique to one attempt; only that owner may finish or give back its claim.
    """

    retention: float

    async def claim(self, consumer: str, event_ids: Sequence[str], owner: str,
                    lease: float) -> dict[str, Claim]:
        """Claim each id unless it is done or another owner's lease on it is unexpired."""

    async def done(self, consumer: str, event_ids: Sequence[str], owner: str) -> set[str]:
        """Mark ids done for `retention` seconds; returns the ids recorded, leaving out those
        another owner has taken over since (this owner's lease expired and theirs has not)."""

    async def release(self, consumer: str, event_ids: Sequence[str], owner: str) -> None:
        """Give back this owner's claims (never another owner's, never a done entry)."""

    async def purge(self) -> int:
        """Forget expired entries; returns how many went (0 where the server expires them)."""

    async def close(self) -> None: ...


class IdempotencySettings(BaseModel):
    """The `idempotency` section of the settings tree."""

    url: str = Field("memory://", description=(
        "memory:// (one process), sql:// (the storage database) or redis://host:6379/0"
        "?prefix=stockflow:idem:; with a shared bus use sql:// or redis://"))
    retention_seconds: float = Field(DEFAULT_RETENTION, gt=0,
                                     description="how long a done event id is remembered")
    lease_seconds: float = Field(DEFAULT_LEASE, gt=0,
                                 description="a claim's lease; longer than any handler runs")
    wait_seconds: float | None = Field(None, ge=0, description=(
        "how long a duplicate waits for the holder; empty means the lease, 0 refuses at once"))


def build_store(settings: IdempotencySettings, *, database: Any = None,
                clock: Clock | None = None) -> IdempotencyStore:
    """The store the settings name; `database` is the storage Database, used by sql://."""
    return registry.build("idempotency", settings.url, database=database, clock=clock,
                          retention=settings.retention_seconds)


class EventInProgressError(RuntimeError):
    """Another attempt holds the event's claim; the bus should deliver it again later."""


def new_owner() -> str:
    """A token unique to one attempt; host and pid first, so an operator can tell who holds it."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex}"


class _Guard:
    """The claim / run / done-or-release cycle shared by the single and the batch wrapper."""

    def __init__(self, store: IdempotencyStore, consumer: str, lease: float,
                 wait: float | None, clock: Clock | None) -> None:
        if lease <= 0:
            raise ValueError("lease must be positive")
        self.store = store
        self.consumer = consumer
        self.lease = lease
        self.wait = lease if wait is None else max(0.0, wait)
        self.clock: Clock = clock or SystemClock()

    async def run(self, events: Sequence[Event],
                  call: Callable[[list[Event]], Awaitable[None]]) -> None:
        # One entry per id even when a batch holds the same event twice.
        pending = list({e.id: e for e in events}.values())
        deadline: float | None = None
        delay = _FIRST_POLL
        while pending:
            owner = new_owner()
            states = await self.store.claim(self.consumer, [e.id for e in pending], owner,
                                            self.lease)
            mine = [e for e in pending if states.get(e.id) is Claim.ACQUIRED]
            if mine:
                await self._attempt(mine, owner, call)
            pending = [e for e in pending if states.get(e.id, Claim.BUSY) is Claim.BUSY]
            if not pending:
                return
            now = self.clock.monotonic()
            deadline = now + self.wait if deadline is None else deadline
            if now >= deadline:
                raise EventInProgressError(
                    f"{self.consumer}: {len(pending)} event(s) held by another attempt, "
                    f"first {pending[0].id}")
            await self.clock.sleep(min(delay, deadline - now))
            delay = min(delay * 2, _MAX_POLL)

    async def _attempt(self, mine: list[Event], owner: str,
                       call: Callable[[list[Event]], Awaitable[None]]) -> None:
        ids = [e.id for e in mine]
        try:
            await call(mine)
        except BaseException:
            try:
                await self.store.release(self.consumer, ids, owner)
            except Exception:  # the lease expires anyway; the handler's error is the one to raise
                log.warning("idempotency.release_failed", consumer=self.consumer,
                            events=len(ids), exc_info=True)
            raise
        # If done() itself fails the error goes to the bus: the retry finds our claim leased,
        # waits for the lease and runs again, which is the at-least-once side of the contract.
        recorded = await self.store.done(self.consumer, ids, owner)
        if len(recorded) < len(ids):
            log.warning("idempotency.lease_lost", consumer=self.consumer,
                        events=len(ids) - len(recorded), lease=self.lease)


def idempotent(store: IdempotencyStore, consumer: str, *, lease: float = DEFAULT_LEASE,
               wait: float | None = None, clock: Clock | None = None,
               ) -> Callable[[Handler], Handler]:
    """Decorate a `subscribe` handler so that it runs once per event id for `consumer`."""
    guard = _Guard(store, consumer, lease, wait, clock)

    def decorate(handler: Handler) -> Handler:
        async def call(events: list[Event]) -> None:
            await handler(events[0])

        @wraps(handler)
        async def guarded(event: Event) -> None:
            await guard.run([event], call)

        return guarded

    return decorate


def idempotent_batch(store: IdempotencyStore, consumer: str, *, lease: float = DEFAULT_LEASE,
                     wait: float | None = None, clock: Clock | None = None,
                     ) -> Callable[[BatchHandler], BatchHandler]:
    """Decorate a `subscribe_batch` handler: it gets only the events not yet done, each once.

    Events another attempt holds are handed over in a later call of the same delivery, once
    that attempt has given them up, so within a batch the order of such events may change."""
    guard = _Guard(store, consumer, lease, wait, clock)

    def decorate(handler: BatchHandler) -> BatchHandler:
        @wraps(handler)
        async def guarded(events: list[Event]) -> None:
            await guard.run(events, handler)

        return guarded

    return decorate
