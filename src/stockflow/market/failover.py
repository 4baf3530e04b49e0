"""Provider failover for market data: a `ResilientChain` (core/resilience/chain.py) of
MarketDataProviders whose answers are validated before they are trusted — the quote's symbol,
its prices, a jump against the last good price (a data-quality issue) and the bars' shape.
Routing by asset class is in market/routing.py.

An unsupported ticker moves on without counting: it says nothing about the provider's health.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from stockflow.core import catalogue
from stockflow.core.resilience.chain import (  # noqa: F401 - part of this module's surface
    ChainExhausted,
    EventHook,
    LatencyHook,
    MemberStats,
    ResilientChain,
    Skip,
)
from stockflow.market.domain import (
    Bar,
    Instrument,
    Interval,
    Quote,
    bar_is_valid,
    normalise_ticker,
    quote_is_valid,
)
from stockflow.market.ports import MarketDataProvider

ProviderStats = MemberStats


class ProviderChain(ResilientChain[MarketDataProvider]):
    """MarketDataProvider over `providers`, first healthy answer wins."""

    def __init__(self, name: str, providers: Sequence[MarketDataProvider], *,
                 max_jump_pct: float | None = 20.0, **options: Any) -> None:
        super().__init__(name, providers, **options)
        self.max_jump_pct = max_jump_pct
        self._last_good: dict[str, float] = {}

    def supports(self, ticker: str) -> bool:
        return any(p.supports(ticker) for p in self.providers)

    async def instruments(self) -> list[Instrument]:
        return await self.run("instruments", lambda p: True,
                              lambda p: p.instruments(), lambda p, r: None)

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        t = normalise_ticker(ticker)
        jumped: list[Quote] = []
        quote = await self.run(f"quote {t}", lambda p: p.supports(t),
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
            answered = await self.try_member(p, i, lambda p=p, todo=todo: p.quotes(todo, at),
                                             errors)
            if answered is None:
                continue
            answer, probe = answered
            good: dict[str, Quote] = {}
            problem = await self.judge(p, probe, lambda p=p, todo=todo, a=answer, g=good:
                                       self._check_batch(p, todo, a, g, jumped), "quotes")
            got.update(good)
            if problem is not None:
                errors[p.name] = problem
                self.note_failover(p, i)
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
            return await self.run(f"bars {t}", lambda p: p.supports(t),
                                  lambda p: p.bars(t, interval, start, end),
                                  lambda p, bars: _check_bars(t, bars))
        except ChainExhausted as e:
            # Every provider that answered said "no bars" (a weekend, a holiday): that is data.
            if e.errors and all(v == "empty series" for v in e.errors.values()):
                return []
            raise

    def _check_batch(self, p: MarketDataProvider, todo: list[str], answer: Any,
                     good: dict[str, Quote], jumped: list[Quote]) -> str | None:
        """Keep the good quotes of a batch in `good`; what is wrong with the rest, or None."""
        by_ticker = {q.ticker: q for q in answer if isinstance(q, Quote)}
        strays = [type(q).__name__ for q in answer if not isinstance(q, Quote)]
        bad = [f"not a quote: {', '.join(strays)}"] if strays else []
        for t in todo:
            q = by_ticker.get(t)
            problem = "missing from answer" if q is None else self._check_quote(p, t, q, jumped)
            if problem is None:
                good[t] = q  # type: ignore[assignment]
            else:
                bad.append(f"{t}: {problem}")
        return "; ".join(bad) or None

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
        self.emit_soon(catalogue.DATA_QUALITY_ISSUE.name, {
            "chain": self.name, "provider": p.name, "ticker": ticker, "kind": "price_jump",
            "price": q.price, "last_good": last, "jump_pct": round(jump, 3),
            "max_jump_pct": self.max_jump_pct})
        return f"price jump {jump:.1f}% vs last good {last}"


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
