"""Ports: the Protocols every adapter implements. Contexts depend on these, never on adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from stockflow.core.events import Event


class Clock(Protocol):
    def now(self) -> datetime: ...
    def monotonic(self) -> float: ...
    async def sleep(self, seconds: float) -> None: ...


Handler = Callable[["Event"], Awaitable[None]]
BatchHandler = Callable[[list["Event"]], Awaitable[None]]


@runtime_checkable
class EventBus(Protocol):
    """Durable publish/subscribe with consumer groups, at-least-once.

    - Every group gets every event of a topic; the members of one group share the work.
    - An event is acknowledged only after its handler returns; a member that dies with events
      unacknowledged has them redelivered to another member (or to itself when it comes back).
    - Events with one `key` reach a group in publish order while the group has one member.
    - A handler that raises is retried `max_retries` times, then the event goes to `<topic>.dlq`
      with the reason. A message that does not parse as an Event goes there at once.
    - Consumers are idempotent by event id; the bus may deliver twice, never zero times.
    """

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, event: Event) -> None: ...
    async def publish_many(self, topic: str, events: Sequence[Event]) -> None: ...
    def subscribe(self, topic: str, group: str, handler: Handler, *,
                  consumer: str | None = None) -> None:
        """Register one member of `group`; call again (other `consumer`) for more members."""
    def subscribe_batch(self, topic: str, group: str, handler: BatchHandler, *,
                        max_batch: int = 500, max_wait: float = 0.05,
                        consumer: str | None = None) -> None:
        """Like subscribe, but the handler gets up to `max_batch` events at once, acknowledged
        together after it returns. A failing batch is retried, then split so that only the
        events that fail on their own are dead-lettered."""


@runtime_checkable
class PubSub(Protocol):
    """Fire-and-forget fan-out (no durability) for live streams across processes."""

    async def publish(self, channel: str, message: bytes) -> None: ...
    def subscribe(self, channel: str) -> Subscription: ...
    async def close(self) -> None: ...


class Subscription(Protocol):
    def __aiter__(self) -> Subscription: ...
    async def __anext__(self) -> tuple[str, bytes]: ...
    async def close(self) -> None: ...


@runtime_checkable
class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...
    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None: ...
    async def set_many(self, items: dict[str, bytes], ttl: float | None = None) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def close(self) -> None: ...


@runtime_checkable
class Database(Protocol):
    """A connection pool to one SQL database, plus the dialect-specific fast paths."""

    url: str
    dialect: str

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy async engine repositories build their statements on."""

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def migrate(self, locations: Sequence[str] = ()) -> None: ...
    async def ping(self) -> bool: ...
    async def bulk_insert(self, table: str, columns: Sequence[str],
                          rows: Sequence[Sequence[Any]], *, conflict_keys: Sequence[str],
                          skip_conflicts: bool = True, expect_conflicts: bool = True,
                          ) -> int: ...
