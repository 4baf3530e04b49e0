"""Last-known quotes for when every provider is down: served marked stale with their age, up
to `max_stale_seconds`; past that `QuotesUnavailable` (the API maps it to a 503 problem).

The ordinary quote cache (`quote:<T>`) forgets a quote after the 5-minute TTL. Beside it, every
writer of a fresh quote also writes `quote:last:<T>`: the same wire JSON, prefixed with the time
it was stored and kept for twice the maximum stale age, so "too old" is reported rather than
"none". Both hold wire bytes, so a stale answer costs no re-encoding either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stockflow.core.ports import Cache, Clock

PREFIX = "quote:last:"
_SEP = b"|"


class QuotesUnavailable(Exception):
    """No provider answered and no cached quote is recent enough."""

    def __init__(self, tickers: Sequence[str], *, max_stale_seconds: float,
                 ages: Mapping[str, float | None] | None = None) -> None:
        super().__init__(f"quotes unavailable for {', '.join(tickers)}: every provider failed "
                         f"and no cached quote is younger than {max_stale_seconds:.0f}s")
        self.tickers = list(tickers)
        self.max_stale_seconds = max_stale_seconds
        self.ages = dict(ages or {})


@dataclass(frozen=True, slots=True)
class LastQuote:
    wire: bytes          # the quote's wire JSON, as the API serves it
    age_seconds: float   # since it was stored


def last_key(ticker: str) -> str:
    return PREFIX + ticker


class LastQuotes:
    def __init__(self, cache: Cache, *, clock: Clock, max_stale_seconds: float = 3600.0) -> None:
        self.cache = cache
        self.clock = clock
        self.max_stale_seconds = max_stale_seconds
        self.keep_seconds = max_stale_seconds * 2

    async def put_many(self, wires: Mapping[str, bytes]) -> None:
        """Remember fresh quotes (ticker → wire JSON)."""
        if not wires:
            return
        stamp = repr(self.clock.now().timestamp()).encode() + _SEP
        await self.cache.set_many({last_key(t): stamp + w for t, w in wires.items()},
                                  ttl=self.keep_seconds)

    async def get_many(self, tickers: Sequence[str]) -> dict[str, LastQuote | None]:
        raws = await self.cache.get_many([last_key(t) for t in tickers])
        now = self.clock.now().timestamp()
        out: dict[str, LastQuote | None] = {}
        for ticker, raw in zip(tickers, raws, strict=True):
            if raw is None:
                out[ticker] = None
                continue
            stamp, _, wire = raw.partition(_SEP)
            out[ticker] = LastQuote(wire, max(0.0, now - float(stamp)))
        return out

    async def stale(self, tickers: Sequence[str]) -> dict[str, LastQuote]:
        """The last-known quote of every ticker, or QuotesUnavailable naming those that have
        none younger than the maximum stale age."""
        hits = await self.get_many(tickers)
        too_old = {t: (h.age_seconds if h else None) for t, h in hits.items()
                   if h is None or h.age_seconds > self.max_stale_seconds}
        if too_old:
            raise QuotesUnavailable(list(too_old), max_stale_seconds=self.max_stale_seconds,
                                    ages=too_old)
        return {t: h for t, h in hits.items() if h is not None}
