"""Where circuit-breaker state lives: a port, plus the in-process store used when no Redis is set.

State is kept as a small record so that one breaker can be shared by several processes through
Redis (see `redis_store.py`); the half-open probe slot is a separate lease, taken atomically.
A lease expires after its TTL, so a prober that never answers cannot hold it for ever, and it is
released only by the token it was taken with, so a late prober cannot free a newer one's lease.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from stockflow.core.ports import Clock

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(slots=True)
class BreakerRecord:
    """`opened_at` is wall-clock epoch seconds so that every process reads it the same way."""

    state: str = CLOSED
    consecutive_failures: int = 0
    opened_at: float | None = None
    outcomes: list[bool] = field(default_factory=list)   # recent calls, True = failure

    def to_dict(self) -> dict:
        return {"state": self.state, "consecutive_failures": self.consecutive_failures,
                "opened_at": self.opened_at, "outcomes": [int(o) for o in self.outcomes]}

    @classmethod
    def from_dict(cls, d: dict) -> BreakerRecord:
        return cls(state=str(d.get("state", CLOSED)),
                   consecutive_failures=int(d.get("consecutive_failures", 0)),
                   opened_at=d.get("opened_at"),
                   outcomes=[bool(o) for o in d.get("outcomes", [])])


@runtime_checkable
class BreakerStore(Protocol):
    async def load(self, name: str) -> BreakerRecord: ...
    async def save(self, name: str, record: BreakerRecord) -> None: ...
    async def acquire_probe(self, name: str, ttl: float) -> str | None:
        """Take the single half-open probe slot for `ttl` seconds: the lease's token, or None
        when someone else holds it."""
    async def release_probe(self, name: str, token: str) -> None:
        """Free the slot if `token` still holds it; a lease taken since by another is kept."""
    async def close(self) -> None: ...


def new_token() -> str:
    return uuid.uuid4().hex


class MemoryBreakerStore:
    """Per-process state. Methods never await, so each is atomic on the event loop.

    Lease expiry reads `clock.monotonic()` (time.monotonic without a clock)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._records: dict[str, BreakerRecord] = {}
        self._monotonic = clock.monotonic if clock is not None else time.monotonic
        self._probes: dict[str, tuple[str, float]] = {}   # name → (token, expires at)

    async def load(self, name: str) -> BreakerRecord:
        rec = self._records.get(name)
        return BreakerRecord.from_dict(rec.to_dict()) if rec else BreakerRecord()

    async def save(self, name: str, record: BreakerRecord) -> None:
        self._records[name] = BreakerRecord.from_dict(record.to_dict())

    async def acquire_probe(self, name: str, ttl: float) -> str | None:
        # A TTL here too: a caller that takes the probe and then fails before giving a verdict
        # would otherwise shut the dependency out for the life of the process.
        now = self._monotonic()
        held = self._probes.get(name)
        if held is not None and held[1] > now:
            return None
        token = new_token()
        self._probes[name] = (token, now + ttl)
        return token

    async def release_probe(self, name: str, token: str) -> None:
        held = self._probes.get(name)
        if held is not None and held[0] == token:
            del self._probes[name]

    async def close(self) -> None:
        return None
