"""Where circuit-breaker state lives: a port, plus the in-process store used when no Redis is set.

State is kept as a small record so that one breaker can be shared by several processes through
Redis (see `redis_store.py`); the half-open probe slot is a separate lease, taken atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

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
    async def acquire_probe(self, name: str, ttl: float) -> bool:
        """Take the single half-open probe slot; False when someone else holds it."""
    async def release_probe(self, name: str) -> None: ...
    async def close(self) -> None: ...


class MemoryBreakerStore:
    """Per-process state. Methods never await, so each is atomic on the event loop."""

    def __init__(self) -> None:
        self._records: dict[str, BreakerRecord] = {}
        self._probes: set[str] = set()

    async def load(self, name: str) -> BreakerRecord:
        rec = self._records.get(name)
        return BreakerRecord.from_dict(rec.to_dict()) if rec else BreakerRecord()

    async def save(self, name: str, record: BreakerRecord) -> None:
        self._records[name] = BreakerRecord.from_dict(record.to_dict())

    async def acquire_probe(self, name: str, ttl: float) -> bool:
        # In one process the probe caller always releases (try/finally), so no TTL is needed.
        if name in self._probes:
            return False
        self._probes.add(name)
        return True

    async def release_probe(self, name: str) -> None:
        self._probes.discard(name)

    async def close(self) -> None:
        return None
