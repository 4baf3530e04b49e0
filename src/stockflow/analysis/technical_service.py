"""Indicators on stored bars: parse and validate first (a 422 costs no I/O), compute over the
whole stored history before `end` so warm-up is the indicator's own, then cut to the window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from stockflow.analysis.errors import NoTickerServed
from stockflow.analysis.technical.compute import IndicatorResult, compute_many
from stockflow.analysis.technical.params import IndicatorRequest, parse_query
from stockflow.core.ports import Clock
from stockflow.core.problems import Problem, invalid
from stockflow.market.domain import Bar, Interval
from stockflow.market.ports import MarketReader

MAX_BARS = 20_000
# Calendar time per bar is more than the bar: nights, weekends and holidays. Reading this many
# bar lengths back before `end` always covers MAX_BARS bars of any market.
_SPAN_FACTOR = 6


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per ticker: its series, or the problem that ticker alone met (RFC 9457 shaped)."""
    results: dict[str, IndicatorSeries]
    errors: dict[str, dict]


@dataclass(frozen=True, slots=True)
class IndicatorSeries:
    ticker: str
    interval: Interval
    times: list[datetime]
    results: list[IndicatorResult]


def arrays(bars: Sequence[Bar]) -> dict[str, np.ndarray]:
    return {"open": np.fromiter((b.open for b in bars), np.float64, len(bars)),
            "high": np.fromiter((b.high for b in bars), np.float64, len(bars)),
            "low": np.fromiter((b.low for b in bars), np.float64, len(bars)),
            "close": np.fromiter((b.close for b in bars), np.float64, len(bars)),
            "volume": np.fromiter((b.volume for b in bars), np.float64, len(bars))}


class TechnicalService:
    def __init__(self, market: MarketReader, clock: Clock) -> None:
        self.market, self.clock = market, clock

    async def _bars(self, ticker: str, interval: Interval, end: datetime | None) -> list[Bar]:
        """The newest MAX_BARS bars before `end`: the window plus as much warm-up as exists."""
        ticker = self.market.instrument(ticker).ticker  # 404 for an unknown ticker
        upper = end or self.clock.now()
        lower = None if interval is Interval.D1 else upper - interval.delta * (
            MAX_BARS * _SPAN_FACTOR)
        bars = await self.market.bars(ticker, interval, lower, upper,
                                      MAX_BARS * _SPAN_FACTOR)
        return bars[-MAX_BARS:]

    async def indicators(self, ticker: str, requests: Sequence[IndicatorRequest],
                         interval: Interval = Interval.D1, start: datetime | None = None,
                         end: datetime | None = None, limit: int = 500) -> IndicatorSeries:
        if not 1 <= limit <= MAX_BARS:
            raise invalid(f"limit must be 1 to {MAX_BARS}")
        bars = await self._bars(ticker.upper(), interval, end)
        results = compute_many(requests, arrays(bars))
        keep = [i for i, b in enumerate(bars) if start is None or b.time >= start][-limit:]
        lo = keep[0] if keep else len(bars)
        cut = [IndicatorResult(r.name, r.params, {k: v[lo:] for k, v in r.outputs.items()})
               for r in results]
        return IndicatorSeries(ticker.upper(), interval, [b.time for b in bars[lo:]], cut)

    async def from_query(self, ticker: str, indicators: str, query: Mapping[str, str],
                         **window) -> IndicatorSeries:
        return await self.indicators(ticker, parse_query(indicators, query), **window)

    async def batch(self, tickers: Sequence[str], requests: Sequence[IndicatorRequest],
                    **window) -> BatchResult:
        """One unknown ticker does not sink the others: each ticker answers for itself, and
        only a batch in which no ticker could be served is a problem as a whole."""
        wanted = list(dict.fromkeys(t.strip().upper() for t in tickers if t.strip()))
        if not 1 <= len(wanted) <= 50:
            raise invalid("name 1 to 50 tickers")
        limit = window.get("limit", 500)
        if not 1 <= limit <= MAX_BARS:
            raise invalid(f"limit must be 1 to {MAX_BARS}")
        results: dict[str, IndicatorSeries] = {}
        problems: dict[str, Problem] = {}
        for t in wanted:
            try:
                results[t] = await self.indicators(t, requests, **window)
            except Problem as p:
                if p.status >= 500:
                    raise  # a store or provider fault is the server's, not this ticker's
                problems[t] = p
        if not results:
            # A caller fault shared by every ticker (say a window no bar is in) is the
            # batch's own problem; tickers that are all unknown are one 404 naming each.
            other = [p for p in problems.values() if p.status != 404]
            if other:
                raise other[0]
            raise NoTickerServed({t: p.to_dict() for t, p in problems.items()})
        return BatchResult(results, {t: p.to_dict() for t, p in problems.items()})
