"""Provider failover: a chain of MarketDataProviders tried in order behind circuit breakers and
rate limiters, with answers validated before they are trusted (routing by asset class is in
market/routing.py).

A provider's error, timeout, 429/5xx (typed by the adapters) or implausible data counts against
its breaker and the next provider is tried. `ProviderNotFound` and an unsupported ticker move on
without counting: they say nothing about the provider's health.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from stockflow.adapters.providers.errors import (
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.core.ports import Clock, MarketDataProvider
from stockflow.core.resilience import CircuitBreaker, CircuitOpenError, RetryPolicy, TokenBucket
from stockflow.core.resilience import retry as retry_call
from stockflow.market.domain import (
    Bar,
    Instrument,
    Interval,
    Quote,
    bar_is_valid,
    normalise_ticker,
    quote_is_valid,
)

T = TypeVar("T")
EventHook = Callable[[str, dict[str, Any]], Any]
# (chain, provider, seconds, ok): called after every provider call that went out.
LatencyHook = Callable[[str, str, float, bool], None]

PROVIDER_UNAVAILABLE = "provider.unavailable"
PROVIDER_RECOVERED = "provider.recovered"
DATA_QUALITY_ISSUE = "data.quality.issue"


class ChainExhausted(ProviderError):
    """Every provider failed or was skipped; `errors` maps provider name → reason. For a batch,
    `partial` holds the quotes that were answered well, so callers can keep them."""

    def __init__(self, chain: str, errors: Mapping[str, str],
                 partial: Mapping[str, Quote] | None = None) -> None:
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items()) or "no provider supports it"
        super().__init__(chain, f"all providers failed ({detail})")
        self.errors = dict(errors)
        self.partial = dict(partial or {})


class _Skip(Exception):
    """Not called at all (breaker open, rate limited locally, unsupported)."""


@dataclass
class ProviderStats:
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


class ProviderChain:
    """MarketDataProvider over `providers`, first healthy answer wins."""

    def __init__(self, name: str, providers: Sequence[MarketDataProvider], *,
                 breakers: Mapping[str, CircuitBreaker] | None = None,
                 limiters: Mapping[str, TokenBucket] | None = None, clock: Clock,
                 max_jump_pct: float | None = 20.0, on_event: EventHook | None = None,
                 cost_per_call: Mapping[str, float] | None = None,
                 retry: RetryPolicy | None = None, call_timeout: float | None = None,
                 recent_failures: int = 20, observe: LatencyHook | None = None) -> None:
        if not providers:
            raise ValueError("a chain needs at least one provider")
        self.name = name
        self.providers = list(providers)
        self.clock = clock
        self.breakers = {p.name: (breakers or {}).get(p.name)
                         or CircuitBreaker(f"{name}:{p.name}", clock=clock)
                         for p in self.providers}
        self.limiters = dict(limiters or {})
        self.max_jump_pct = max_jump_pct
        self.on_event = on_event
        self.retry = retry
        self.call_timeout = call_timeout
        self.observe = observe
        costs = cost_per_call or {}
        self.stats = {p.name: ProviderStats(p.name, float(costs.get(p.name, 0.0)),
                                            recent_failures=deque(maxlen=recent_failures))
                      for p in self.providers}
        self._last_good: dict[str, float] = {}

    # -- MarketDataProvider ------------------------------------------------------------------

    def supports(self, ticker: str) -> bool:
        return any(p.supports(ticker) for p in self.providers)

    async def instruments(self) -> list[Instrument]:
        return await self._run("instruments", lambda p: True,
                               lambda p: p.instruments(), lambda p, r: None)

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        t = normalise_ticker(ticker)
        jumped: list[Quote] = []
        quote = await self._run(f"quote {t}", lambda p: p.supports(t),
                                lambda p: p.quote(t, at),
                                lambda p, q: self._check_quote(p, t, q, jumped))
        self._last_good[t] = quote.price
        return quote

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        """Batch per provider; tickers a provider could not answer well go to the next one."""
        wanted = list(dict.fromkeys(normalise_ticker(t) for t in tickers))
        got: dict[str, Quote] = {}
        errors: dict[str, str] = {}
        jumped: list[Quote] = []
        for i, p in enumerate(self.providers):
            todo = [t for t in wanted if t not in got and p.supports(t)]
            if not todo:
                continue
            try:
                answer, probe = await self._attempt(
                    p, lambda p=p, todo=todo: p.quotes(todo, at))
            except _Skip as e:
                errors[p.name] = str(e)
                continue
            except Exception as e:  # noqa: BLE001 - already counted by _attempt; try the next
                errors[p.name] = self._reason(e)
                self._note_failover(p, i)
                continue
            by_ticker = {q.ticker: q for q in answer}
            bad = []
            for t in todo:
                q = by_ticker.get(t)
                problem = "missing from answer" if q is None else \
                    self._check_quote(p, t, q, jumped)
                if problem is None:
                    got[t] = q
                else:
                    bad.append(f"{t}: {problem}")
            await self._verdict(p, probe, ok=not bad, reason="; ".join(bad))
            if bad:
                errors[p.name] = "; ".join(bad)
                self._note_failover(p, i)
            if len(got) == len(wanted):
                break
        for t, q in got.items():
            self._last_good[t] = q.price
        if len(got) < len(wanted):
            raise ChainExhausted(self.name, errors, partial=got)
        return [got[t] for t in wanted]

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        t = normalise_ticker(ticker)
        try:
            return await self._run(f"bars {t}", lambda p: p.supports(t),
                                   lambda p: p.bars(t, interval, start, end),
                                   lambda p, bars: _check_bars(t, bars))
        except ChainExhausted as e:
            # Every provider that answered said "no bars" (a weekend, a holiday): that is data.
            if e.errors and all(v == "empty series" for v in e.errors.values()):
                return []
            raise

    async def ask(self, provider: str, call: Callable[[Any], Awaitable[T]]) -> T:
        """One call to a named member through its limiter, breaker and retries, for a vendor's
        own endpoint outside the port (CoinGecko's /simple/price rates)."""
        member = next((p for p in self.providers if p.name == provider), None)
        if member is None:
            raise ProviderNotFound(self.name, f"{provider} is not in this chain")
        try:
            result, probe = await self._attempt(member, lambda: call(member))
        except _Skip as e:
            raise ProviderUnavailable(provider, str(e)) from None
        except ProviderError:
            raise
        except Exception as e:
            # An adapter's own bug (already counted by _attempt) is an outage to the caller,
            # who falls back as for any other provider failure.
            raise ProviderUnavailable(provider, self._reason(e)) from e
        await self._verdict(member, probe, ok=True, reason="")
        return result

    # -- admin view --------------------------------------------------------------------------

    def health(self) -> list[dict[str, Any]]:
        out = []
        for p in self.providers:
            s, b = self.stats[p.name], self.breakers[p.name]
            lim = self.limiters.get(p.name)
            out.append({
                "chain": self.name, "provider": p.name, "calls": s.calls,
                "failures": s.failures, "failovers": s.failovers, "skipped": s.skipped,
                "last_success": s.last_success.isoformat() if s.last_success else None,
                "recent_failures": list(s.recent_failures), "breaker": b.snapshot(),
                "breaker_state": b.state, "cost_per_call": s.cost_per_call,
                "estimated_cost": round(s.calls * s.cost_per_call, 6),
                "limiter": lim.snapshot() if lim else None,
            })
        return out

    # -- machinery ---------------------------------------------------------------------------

    async def _run(self, what: str, eligible: Callable[[Any], bool],
                   call: Callable[[Any], Any], check: Callable[[Any, Any], str | None]) -> Any:
        errors: dict[str, str] = {}
        for i, p in enumerate(self.providers):
            if not eligible(p):
                continue
            try:
                result, probe = await self._attempt(p, lambda p=p: call(p))
            except _Skip as e:
                errors[p.name] = str(e)
                continue
            except Exception as e:  # noqa: BLE001 - already counted by _attempt; try the next
                errors[p.name] = self._reason(e)
                self._note_failover(p, i)
                continue
            problem = check(p, result)
            await self._verdict(p, probe, ok=problem is None, reason=f"{what}: {problem}")
            if problem is None:
                return result
            errors[p.name] = problem
            self._note_failover(p, i)
        raise ChainExhausted(self.name, errors)

    async def _attempt(self, p: MarketDataProvider,
                       call: Callable[[], Any]) -> tuple[Any, bool]:
        """One provider call through limiter and breaker → (answer, is_probe); the verdict on an
        answer is left to `_verdict`, after validation."""
        stats, breaker = self.stats[p.name], self.breakers[p.name]
        limiter = self.limiters.get(p.name)
        if limiter is not None and not limiter.try_acquire():
            stats.skipped += 1
            raise _Skip(f"rate limited locally for {limiter.wait_time():.1f}s")
        try:
            probe = await breaker.before_call()
        except CircuitOpenError as e:
            stats.skipped += 1
            raise _Skip(str(e)) from None
        started = time.perf_counter()
        try:
            stats.calls += 1
            result = await self._call(call)
        except ProviderNotFound:
            self._observe(p, started, ok=True)  # the vendor answered, only not for this ticker
            await breaker.release(probe)
            raise
        except Exception as e:
            self._observe(p, started, ok=False)
            # Typed provider errors and timeouts, but also an adapter's own bug (KeyError…):
            # either way this provider did not answer, and the next one should be asked.
            if isinstance(e, ProviderRateLimited) and limiter is not None:
                limiter.penalise(e.retry_after)
            await self._failed(p, probe, self._reason(e))
            raise
        except BaseException:
            await breaker.release(probe)
            raise
        self._observe(p, started, ok=True)
        return result, probe

    def _observe(self, p: MarketDataProvider, started: float, *, ok: bool) -> None:
        if self.observe is not None:
            self.observe(self.name, p.name, time.perf_counter() - started, ok)

    async def _call(self, call: Callable[[], Any]) -> Any:
        async def once() -> Any:
            if self.call_timeout is None:
                return await call()
            return await asyncio.wait_for(call(), self.call_timeout)

        if self.retry is None:
            return await once()
        return await retry_call(once, self.retry, clock=self.clock)

    async def _verdict(self, p: MarketDataProvider, probe: bool, *, ok: bool,
                       reason: str) -> None:
        if ok:
            self.stats[p.name].last_success = self.clock.now()
            if await self.breakers[p.name].record_success(probe):
                await self._emit(PROVIDER_RECOVERED, {"chain": self.name, "provider": p.name})
        else:
            await self._failed(p, probe, reason)

    async def _failed(self, p: MarketDataProvider, probe: bool, reason: str) -> None:
        self.stats[p.name].fail(self.clock.now(), reason)
        breaker = self.breakers[p.name]
        if await breaker.record_failure(probe):
            await self._emit(PROVIDER_UNAVAILABLE, {
                "chain": self.name, "provider": p.name, "reason": reason,
                "consecutive_failures": breaker.consecutive_failures,
                "retry_in": breaker.reset_timeout})

    def _note_failover(self, p: MarketDataProvider, index: int) -> None:
        if index + 1 < len(self.providers):
            self.stats[p.name].failovers += 1

    @staticmethod
    def _reason(e: BaseException) -> str:
        if isinstance(e, TimeoutError):
            return "timeout"
        return f"{type(e).__name__}: {e}"

    def _check_quote(self, p: MarketDataProvider, ticker: str, q: Any,
                     jumped: list[Quote]) -> str | None:
        if not isinstance(q, Quote):
            return f"not a quote: {type(q).__name__}"
        if q.ticker != ticker:
            return f"wrong symbol: asked {ticker}, got {q.ticker}"
        if not quote_is_valid(q):
            return f"invalid quote: price={q.price} bid={q.bid} ask={q.ask}"
        last = self._last_good.get(ticker)
        if self.max_jump_pct is None or last is None:
            return None
        jump = abs(q.price / last - 1.0) * 100.0
        if jump <= self.max_jump_pct:
            return None
        # Two providers agreeing on the new level is a real move, not one vendor's glitch.
        if any(abs(q.price / j.price - 1.0) * 100.0 <= self.max_jump_pct / 4 for j in jumped):
            return None
        jumped.append(q)
        self._emit_soon(DATA_QUALITY_ISSUE, {
            "chain": self.name, "provider": p.name, "ticker": ticker, "kind": "price_jump",
            "price": q.price, "last_good": last, "jump_pct": round(jump, 3),
            "max_jump_pct": self.max_jump_pct})
        return f"price jump {jump:.1f}% vs last good {last}"

    def _emit_soon(self, type_: str, data: dict[str, Any]) -> None:
        # Validation is sync; an async hook (a bus publish) runs as a task, kept referenced.
        if self.on_event is None:
            return
        result = self.on_event(type_, data)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks = getattr(self, "_tasks", set())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _emit(self, type_: str, data: dict[str, Any]) -> None:
        if self.on_event is None:
            return
        result = self.on_event(type_, data)
        if inspect.isawaitable(result):
            await result


def _check_bars(ticker: str, bars: Any) -> str | None:
    if not isinstance(bars, list) or not bars:
        return "empty series"
    for b in bars:
        if b.ticker != ticker:
            return f"wrong symbol: asked {ticker}, got {b.ticker}"
        if not bar_is_valid(b):
            return f"invalid bar at {b.time.isoformat()}"
    if any(not math.isfinite(b.close) for b in bars):
        return "non-finite close"
    return None
