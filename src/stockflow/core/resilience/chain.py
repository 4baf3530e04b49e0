"""A failover chain over vendors of any kind (market data, fundamentals, news, LLMs): each
member is called through its token bucket, circuit breaker, retries and timeout, its answer is
checked, and the next member is asked when one fails. Contexts add what their answers mean
(market/failover.py validates quotes and bars on top of it).

A member's error, timeout, 429/5xx (typed by the adapters) or an answer its check refuses counts
against its breaker. `ProviderNotFound` moves on without counting: it says nothing about the
member's health. Every path out of a call gives a half-open probe's slot back.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from stockflow.core import catalogue
from stockflow.core.ports import Clock
from stockflow.core.resilience.backoff import RetryPolicy
from stockflow.core.resilience.backoff import retry as retry_call
from stockflow.core.resilience.breaker import CircuitBreaker, CircuitOpenError
from stockflow.core.resilience.errors import (
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.core.resilience.limiter import TokenBucket

T = TypeVar("T")
EventHook = Callable[[str, dict[str, Any]], Any]
# (chain, member, seconds, ok): called after every call that went out.
LatencyHook = Callable[[str, str, float, bool], None]
Check = Callable[[Any, Any], "str | None"]  # (member, answer) -> what is wrong, or None


class Member(Protocol):
    name: str


M = TypeVar("M", bound=Member)


class ChainExhausted(ProviderError):
    """Every member failed or was skipped; `errors` maps member name → reason. `partial` holds
    what was answered well (a batch's good part), so callers can keep it."""

    def __init__(self, chain: str, errors: Mapping[str, str],
                 partial: Mapping[str, Any] | None = None) -> None:
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items()) or "no provider supports it"
        super().__init__(chain, f"all providers failed ({detail})")
        self.errors = dict(errors)
        self.partial = dict(partial or {})


class Skip(Exception):
    """Not called at all (breaker open, rate limited locally)."""


@dataclass
class MemberStats:
    name: str
    cost_per_call: float = 0.0
    calls: int = 0
    failures: int = 0
    failovers: int = 0
    skipped: int = 0
    last_success: datetime | None = None
    recent_failures: deque = field(default_factory=lambda: deque(maxlen=20))

    def fail(self, when: datetime, reason: str) -> None:
        self.failures += 1
        self.recent_failures.append({"time": when.isoformat(), "reason": reason[:300]})


class ResilientChain(Generic[M]):
    """Members tried in order; the first good answer wins."""

    def __init__(self, name: str, members: Sequence[M], *, clock: Clock,
                 breakers: Mapping[str, CircuitBreaker] | None = None,
                 limiters: Mapping[str, TokenBucket] | None = None,
                 on_event: EventHook | None = None,
                 cost_per_call: Mapping[str, float] | None = None,
                 retry: RetryPolicy | None = None, call_timeout: float | None = None,
                 recent_failures: int = 20, observe: LatencyHook | None = None) -> None:
        if not members:
            raise ValueError("a chain needs at least one member")
        self.name = name
        self.providers = list(members)
        self.clock = clock
        self.breakers = {m.name: (breakers or {}).get(m.name)
                         or CircuitBreaker(f"{name}:{m.name}", clock=clock)
                         for m in self.providers}
        self.limiters = dict(limiters or {})
        self.on_event = on_event
        self.retry = retry
        self.call_timeout = call_timeout
        self.observe = observe
        costs = cost_per_call or {}
        self.stats = {m.name: MemberStats(m.name, float(costs.get(m.name, 0.0)),
                                          recent_failures=deque(maxlen=recent_failures))
                      for m in self.providers}
        self._tasks: set[asyncio.Future[Any]] = set()

    async def run(self, what: str, eligible: Callable[[M], bool],
                  call: Callable[[M], Awaitable[Any]], check: Check) -> Any:
        """The first member's answer that passes `check`; ChainExhausted when none does."""
        errors: dict[str, str] = {}
        for i, m in enumerate(self.providers):
            if not eligible(m):
                continue
            answered = await self.try_member(m, i, lambda m=m: call(m), errors)
            if answered is None:
                continue
            result, probe = answered
            problem = await self.judge(m, probe, lambda m=m, r=result: check(m, r), what)
            if problem is None:
                return result
            errors[m.name] = problem
            self.note_failover(m, i)
        raise ChainExhausted(self.name, errors)

    async def try_member(self, m: M, index: int, call: Callable[[], Awaitable[Any]],
                         errors: dict[str, str]) -> tuple[Any, bool] | None:
        """`attempt`, with a skip or a failure noted in `errors` (and counted as a failover)
        instead of raised: None means "ask the next member"."""
        try:
            return await self.attempt(m, call)
        except Skip as e:
            errors[m.name] = str(e)
        except Exception as e:  # noqa: BLE001 - already counted by attempt; try the next
            errors[m.name] = self.reason(e)
            self.note_failover(m, index)
        return None

    async def ask(self, member: str, call: Callable[[Any], Awaitable[T]]) -> T:
        """One call to a named member through its limiter, breaker and retries, for a vendor's
        own endpoint outside the port (CoinGecko's /simple/price rates)."""
        found = next((m for m in self.providers if m.name == member), None)
        if found is None:
            raise ProviderNotFound(self.name, f"{member} is not in this chain")
        try:
            result, probe = await self.attempt(found, lambda: call(found))
        except Skip as e:
            raise ProviderUnavailable(member, str(e)) from None
        except ProviderError:
            raise
        except Exception as e:
            # An adapter's own bug (already counted by attempt) is an outage to the caller,
            # who falls back as for any other provider failure.
            raise ProviderUnavailable(member, self.reason(e)) from e
        await self.verdict(found, probe, ok=True, reason="")
        return result

    async def judge(self, m: M, probe: bool, check: Callable[[], str | None],
                    what: str) -> str | None:
        """Run `check` on an answer and record the verdict; a check that raises refuses the
        answer (and still settles the probe), it never leaks the half-open slot."""
        try:
            problem = check()
        except Exception as e:  # noqa: BLE001 - a malformed answer is the member's failure
            problem = f"malformed answer: {self.reason(e)}"
        await self.verdict(m, probe, ok=problem is None, reason=f"{what}: {problem}")
        return problem

    async def attempt(self, m: M, call: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """One call through limiter and breaker → (answer, is_probe); the verdict on an answer
        is left to `verdict`, after the caller has checked it."""
        stats, breaker = self.stats[m.name], self.breakers[m.name]
        limiter = self.limiters.get(m.name)
        if limiter is not None and not limiter.try_acquire():
            stats.skipped += 1
            raise Skip(f"rate limited locally for {limiter.wait_time():.1f}s")
        try:
            probe = await breaker.before_call()
        except CircuitOpenError as e:
            stats.skipped += 1
            raise Skip(str(e)) from None
        started = time.perf_counter()
        try:
            stats.calls += 1
            result = await self._call(call)
        except ProviderNotFound:
            self._observe(m, started, ok=True)  # the vendor answered, only not for this item
            await breaker.release(probe)
            raise
        except Exception as e:
            self._observe(m, started, ok=False)
            # Typed provider errors and timeouts, but also an adapter's own bug (KeyError…):
            # either way this member did not answer, and the next one should be asked.
            if isinstance(e, ProviderRateLimited) and limiter is not None:
                limiter.penalise(e.retry_after)
            await self.failed(m, probe, self.reason(e))
            raise
        except BaseException:
            await breaker.release(probe)
            raise
        self._observe(m, started, ok=True)
        return result, probe

    async def verdict(self, m: M, probe: bool, *, ok: bool, reason: str) -> None:
        if ok:
            self.stats[m.name].last_success = self.clock.now()
            if await self.breakers[m.name].record_success(probe):
                await self.emit(catalogue.PROVIDER_RECOVERED.name,
                                {"chain": self.name, "provider": m.name})
        else:
            await self.failed(m, probe, reason)

    async def failed(self, m: M, probe: bool, reason: str) -> None:
        self.stats[m.name].fail(self.clock.now(), reason)
        breaker = self.breakers[m.name]
        if await breaker.record_failure(probe):
            await self.emit(catalogue.PROVIDER_UNAVAILABLE.name, {
                "chain": self.name, "provider": m.name, "reason": reason,
                "consecutive_failures": breaker.consecutive_failures,
                "retry_in": breaker.reset_timeout})

    def note_failover(self, m: M, index: int) -> None:
        if index + 1 < len(self.providers):
            self.stats[m.name].failovers += 1

    @staticmethod
    def reason(e: BaseException) -> str:
        if isinstance(e, TimeoutError):
            return "timeout"
        return f"{type(e).__name__}: {e}"

    def health(self) -> list[dict[str, Any]]:
        out = []
        for m in self.providers:
            s, b = self.stats[m.name], self.breakers[m.name]
            lim = self.limiters.get(m.name)
            out.append({
                "chain": self.name, "provider": m.name, "calls": s.calls,
                "failures": s.failures, "failovers": s.failovers, "skipped": s.skipped,
                "last_success": s.last_success.isoformat() if s.last_success else None,
                "recent_failures": list(s.recent_failures), "breaker": b.snapshot(),
                "breaker_state": b.state, "cost_per_call": s.cost_per_call,
                "estimated_cost": round(s.calls * s.cost_per_call, 6),
                "limiter": lim.snapshot() if lim else None,
            })
        return out

    async def emit(self, type_: str, data: dict[str, Any]) -> None:
        if self.on_event is None:
            return
        result = self.on_event(type_, data)
        if inspect.isawaitable(result):
            await result

    def emit_soon(self, type_: str, data: dict[str, Any]) -> None:
        # For sync checks: an async hook (a bus publish) runs as a task, kept referenced.
        if self.on_event is None:
            return
        result = self.on_event(type_, data)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _observe(self, m: M, started: float, *, ok: bool) -> None:
        if self.observe is not None:
            self.observe(self.name, m.name, time.perf_counter() - started, ok)

    async def _call(self, call: Callable[[], Awaitable[Any]]) -> Any:
        async def once() -> Any:
            if self.call_timeout is None:
                return await call()
            return await asyncio.wait_for(call(), self.call_timeout)

        if self.retry is None:
            return await once()
        return await retry_call(once, self.retry, clock=self.clock)
