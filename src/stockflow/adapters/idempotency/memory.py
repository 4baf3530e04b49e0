"""In-process IdempotencyStore with leases and a retention, for one process (and the tests).

Entries live in insertion order and every write moves its entry to the end with a fresh
expiry (now + retention, the same for all), so the expired ones are always at the front and
each claim drops them there: memory stays bounded by the events of one retention, and by
`max_entries` beyond that (the oldest entries go first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stockflow.core.clock import SystemClock
from stockflow.core.idempotency import DEFAULT_RETENTION, Claim
from stockflow.core.ports import Clock


@dataclass(slots=True)
class _Entry:
    done: bool
    owner: str
    lease_until: float
    expires_at: float


class MemoryIdempotencyStore:
    def __init__(self, *, retention: float = DEFAULT_RETENTION, clock: Clock | None = None,
                 max_entries: int = 1_000_000) -> None:
        self.retention = retention
        self._clock: Clock = clock or SystemClock()
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _live(self, key: tuple[str, str], now: float) -> _Entry | None:
        entry = self._entries.get(key)
        return None if entry is None or entry.expires_at <= now else entry

    def _put(self, key: tuple[str, str], entry: _Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def claim(self, consumer: str, event_ids: Sequence[str], owner: str,
                    lease: float) -> dict[str, Claim]:
        now = self._clock.monotonic()
        self._drop_expired(now)
        states: dict[str, Claim] = {}
        for event_id in event_ids:
            entry = self._live((consumer, event_id), now)
            if entry is not None and entry.done:
                states[event_id] = Claim.DONE
            elif entry is not None and entry.lease_until > now:
                states[event_id] = Claim.BUSY
            else:
                self._put((consumer, event_id),
                          _Entry(False, owner, now + lease, now + self.retention))
                states[event_id] = Claim.ACQUIRED
        return states

    async def done(self, consumer: str, event_ids: Sequence[str], owner: str) -> set[str]:
        now = self._clock.monotonic()
        recorded: set[str] = set()
        for event_id in event_ids:
            entry = self._live((consumer, event_id), now)
            # Ours, or free: nobody else holds an unexpired lease or finished it first.
            if (entry is None or entry.owner == owner
                    or (not entry.done and entry.lease_until <= now)):
                self._put((consumer, event_id), _Entry(True, owner, now, now + self.retention))
                recorded.add(event_id)
        return recorded

    async def release(self, consumer: str, event_ids: Sequence[str], owner: str) -> None:
        for event_id in event_ids:
            entry = self._entries.get((consumer, event_id))
            if entry is not None and not entry.done and entry.owner == owner:
                del self._entries[(consumer, event_id)]

    async def purge(self) -> int:
        return self._drop_expired(self._clock.monotonic())

    def _drop_expired(self, now: float) -> int:
        dropped = 0
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.expires_at > now:
                break
            del self._entries[key]
            dropped += 1
        return dropped

    async def close(self) -> None:
        self._entries.clear()


def make_store(url: str, *, retention: float = DEFAULT_RETENTION, clock: Clock | None = None,
               max_entries: int = 1_000_000, **_shared: Any) -> MemoryIdempotencyStore:
    """Registry factory for memory://; `_shared` takes the other adapters' options (database)."""
    return MemoryIdempotencyStore(retention=retention, clock=clock, max_entries=max_entries)
