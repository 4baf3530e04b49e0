"""FX rates from the market's own data: daily closes of the universe's currency pairs (the
simulated market's, or a vendor's behind the fx chain), inverted or crossed through USD for the
pairs nobody quotes directly. Serves the `FxRates` port (market/ports.py)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from stockflow.core.problems import invalid, unavailable
from stockflow.market.domain import AssetClass, Instrument, Interval
from stockflow.market.ports import MarketStore

PIVOT = "USD"
MAX_DAYS = 5000  # bars per read: beyond any portfolio's series
# A rate is looked for this far before the first day, so a range starting on a weekend or a
# holiday still has the last working day's rate.
LOOKBACK = timedelta(days=14)

Series = list[tuple[date, float]]


class FxService:
    def __init__(self, *, store: MarketStore, universe: Callable[[], list[Instrument]]) -> None:
        self.store = store
        self._universe = universe

    def pairs(self) -> dict[tuple[str, str], str]:
        """(base, quote) → the universe's pair ticker (("EUR", "USD") → EURUSD)."""
        return {(i.metadata["base"], i.metadata["quote"]): i.ticker for i in self._universe()
                if i.asset_class is AssetClass.FX}

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(c for pair in self.pairs() for c in pair)

    def pairs_of(self, base: str, quote: str) -> list[str]:
        """The pair tickers a conversion reads: one (direct or inverted) or two (via USD)."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return []
        pairs = self.pairs()
        for key in ((base, quote), (quote, base)):
            if key in pairs:
                return [pairs[key]]
        unknown = sorted({base, quote} - self.currencies)
        if unknown:
            raise invalid(f"no FX rates for {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(self.currencies))}")
        return [*self.pairs_of(base, PIVOT), *self.pairs_of(PIVOT, quote)]

    async def fx_series(self, base: str, quote: str, start: date, end: date) -> Series:
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return [(start, 1.0)]
        pairs = self.pairs()
        if (base, quote) in pairs:
            return await self._closes(pairs[base, quote], start, end)
        if (quote, base) in pairs:
            return [(d, 1.0 / r) for d, r in await self._closes(pairs[quote, base], start, end)]
        self.pairs_of(base, quote)  # a 422 for an unknown currency
        legs = [await self.fx_series(base, PIVOT, start, end),
                await self.fx_series(PIVOT, quote, start, end)]
        return cross(*legs)

    async def _closes(self, ticker: str, start: date, end: date) -> Series:
        since = datetime.combine(start - LOOKBACK, time(), UTC)
        until = datetime.combine(end + timedelta(days=1), time(), UTC)
        bars = await self.store.read_bars(ticker, Interval.D1, since, until, MAX_DAYS)
        rows = [(b.time.date(), b.close) for b in bars]
        first = max((i for i, (d, _) in enumerate(rows) if d <= start), default=0)
        rows = rows[first:]
        if not rows:
            raise unavailable(f"no {ticker} rates stored for {start} to {end} yet",
                              retry_after=60)
        return rows


def cross(a: Series, b: Series) -> Series:
    """a x b on every day either has, each leg read as its last rate on or before the day."""
    days = sorted({d for d, _ in a} | {d for d, _ in b})
    out = []
    for d in days:
        x, y = rate_on(a, d), rate_on(b, d)
        if x is not None and y is not None:
            out.append((d, x * y))
    return out


def rate_on(series: Series, day: date) -> float | None:
    """The last rate on or before `day`; None before the series starts."""
    i = bisect_right(series, (day, float("inf")))
    return series[i - 1][1] if i else None
