"""Circuit breaker: stop calling a failing dependency, then let exactly one probe test it.

closed → open after `failure_threshold` consecutive failures, or when the failure rate over the
last `window` calls reaches `failure_rate` (once `min_calls` calls are in the window);
open → half_open after `reset_timeout` seconds, where one caller (the probe) goes through and
every other caller fails fast; the probe's success closes the breaker, its failure re-opens it.
The probe slot is a lease of `probe_timeout` seconds: a probe that never gives its verdict
shuts the dependency out for that long at most.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from stockflow.core.ports import Clock
from stockflow.core.resilience.store import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    BreakerRecord,
    BreakerStore,
    MemoryBreakerStore,
)

T = TypeVar("T")


class CircuitOpenError(Exception):
    def __init__(self, name: str, retry_in: float | None = None) -> None:
        when = f", retry in {retry_in:.1f}s" if retry_in is not None else ", probe in flight"
        super().__init__(f"circuit {name!r} is open{when}")
        self.name = name
        self.retry_in = retry_in


class CircuitBreaker:
    def __init__(self, name: str, *, failure_threshold: int | None = 5,
                 failure_rate: float | None = None, window: int = 20, min_calls: int = 10,
                 reset_timeout: float = 30.0, probe_timeout: float = 60.0, clock: Clock,
                 store: BreakerStore | None = None) -> None:
        if failure_threshold is None and failure_rate is None:
            raise ValueError("set failure_threshold, failure_rate or both")
        if failure_rate is not None and not 0 < failure_rate <= 1:
            raise ValueError("failure_rate is a fraction in (0, 1]")
        self.name = name
        self.failure_threshold = failure_threshold
        self.failure_rate = failure_rate
        self.window = window
        self.min_calls = min_calls
        self.reset_timeout = reset_timeout
        self.probe_timeout = probe_timeout
        self.clock = clock
        self.store: BreakerStore = store or MemoryBreakerStore(clock)
        # Last record seen, so the sync properties (admin view) need no I/O.
        self._seen = BreakerRecord()
        # The token of the probe lease each task holds. Callers pass back only `probe: bool`,
        # and a probe's verdict comes from the task that took it; keyed by task because a
        # second probe may start once the first one's lease expired, and must keep its own.
        self._leases: weakref.WeakKeyDictionary[asyncio.Task[Any], str] = \
            weakref.WeakKeyDictionary()

    # -- views -----------------------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now().timestamp()

    @property
    def state(self) -> str:
        rec = self._seen
        if rec.state == OPEN and rec.opened_at is not None \
                and self._now() - rec.opened_at >= self.reset_timeout:
            return HALF_OPEN
        return rec.state

    @property
    def consecutive_failures(self) -> int:
        return self._seen.consecutive_failures

    @property
    def opened_at(self) -> float | None:
        """Epoch seconds (from the clock's `now()`) when the breaker last opened."""
        return self._seen.opened_at

    def snapshot(self) -> dict[str, Any]:
        outcomes = self._seen.outcomes
        return {
            "name": self.name, "state": self.state,
            "consecutive_failures": self.consecutive_failures, "opened_at": self.opened_at,
            "window_calls": len(outcomes),
            "window_failure_rate": (sum(outcomes) / len(outcomes)) if outcomes else 0.0,
            "failure_threshold": self.failure_threshold, "failure_rate": self.failure_rate,
            "reset_timeout": self.reset_timeout,
        }

    async def refresh(self) -> str:
        """Re-read the shared record (another process may have opened or closed it)."""
        self._seen = await self.store.load(self.name)
        return self.state

    # -- protocol --------------------------------------------------------------------------------

    async def before_call(self) -> bool:
        """Admit a call or raise CircuitOpenError; True when this caller is the half-open probe,
        which must then call `record_success`/`record_failure` or `release`."""
        rec = self._seen = await self.store.load(self.name)
        if rec.state == CLOSED:
            return False
        waited = self._now() - (rec.opened_at or 0.0)
        if rec.state == OPEN and waited < self.reset_timeout:
            raise CircuitOpenError(self.name, self.reset_timeout - waited)
        token = await self.store.acquire_probe(self.name, self.probe_timeout)
        if token is None:
            raise CircuitOpenError(self.name)
        rec = self._seen = await self.store.load(self.name)
        if rec.state == CLOSED:  # closed by another probe between our two reads
            await self.store.release_probe(self.name, token)
            return False
        task = asyncio.current_task()
        if task is not None:
            self._leases[task] = token
        rec.state = HALF_OPEN
        await self.store.save(self.name, rec)
        return True

    async def _release_probe(self) -> None:
        # No token in this task: the verdict came from elsewhere; the lease then ages out.
        task = asyncio.current_task()
        token = self._leases.pop(task, None) if task is not None else None
        if token is not None:
            await self.store.release_probe(self.name, token)

    async def record_success(self, probe: bool = False) -> bool:
        """Returns True when this success closed an open breaker."""
        rec = await self.store.load(self.name)
        was_open = rec.state != CLOSED
        if probe or rec.state == HALF_OPEN:
            rec = BreakerRecord()
        else:
            rec.consecutive_failures = 0
            self._push(rec, False)
        await self.store.save(self.name, rec)
        self._seen = rec
        if probe:
            await self._release_probe()
        return was_open and rec.state == CLOSED

    async def record_failure(self, probe: bool = False) -> bool:
        """Returns True when this failure opened the breaker (from closed)."""
        rec = await self.store.load(self.name)
        rec.consecutive_failures += 1
        self._push(rec, True)
        opened = False
        if probe or rec.state == HALF_OPEN:
            rec.state, rec.opened_at = OPEN, self._now()
        elif rec.state == CLOSED and self._should_open(rec):
            rec.state, rec.opened_at, opened = OPEN, self._now(), True
        await self.store.save(self.name, rec)
        self._seen = rec
        if probe:
            await self._release_probe()
        return opened

    async def release(self, probe: bool) -> None:
        """The call ended without a verdict (cancelled, or an error that says nothing about
        the dependency's health): give the probe slot back so the next caller can probe."""
        if probe:
            rec = await self.store.load(self.name)
            if rec.state == HALF_OPEN:
                rec.state = OPEN  # opened_at unchanged: the next caller may probe at once
                await self.store.save(self.name, rec)
                self._seen = rec
            await self._release_probe()

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any,
                   is_failure: Callable[[BaseException], bool] = lambda e: True,
                   **kwargs: Any) -> T:
        probe = await self.before_call()
        try:
            result = await fn(*args, **kwargs)
        except Exception as e:
            if is_failure(e):
                await self.record_failure(probe)
            else:
                await self.release(probe)
            raise
        except BaseException:
            await self.release(probe)
            raise
        await self.record_success(probe)
        return result

    # -- rules -----------------------------------------------------------------------------------

    def _push(self, rec: BreakerRecord, failed: bool) -> None:
        rec.outcomes.append(failed)
        del rec.outcomes[:-self.window]

    def _should_open(self, rec: BreakerRecord) -> bool:
        if self.failure_threshold is not None \
                and rec.consecutive_failures >= self.failure_threshold:
            return True
        if self.failure_rate is not None and len(rec.outcomes) >= self.min_calls:
            return sum(rec.outcomes) / len(rec.outcomes) >= self.failure_rate
        return False
