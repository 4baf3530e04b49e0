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
from datetime import datetime

from stockflow.core.ports import Cache, Clock
from stockflow.core.problems import TYPE_BASE, Problem

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


class LastQuotes:
    """Last-known values by name (a ticker; for crypto rates "bitcoin:usd", another prefix)."""

    def __init__(self, cache: Cache, *, clock: Clock, max_stale_seconds: float = 3600.0,
                 prefix: str = PREFIX) -> None:
        self.cache = cache
        self.prefix = prefix
        self.clock = clock
        self.max_stale_seconds = max_stale_seconds
        self.keep_seconds = max_stale_seconds * 2

    async def put_many(self, wires: Mapping[str, bytes], at: datetime | None = None) -> None:
        """Remember fresh quotes (ticker → wire JSON) as of `at` (when they were fetched; a
        consumer further down the pipeline passes the event's time), by default now."""
        if not wires:
            return
        stamp = repr((at or self.clock.now()).timestamp()).encode() + _SEP
        await self.cache.set_many({self.prefix + t: stamp + w for t, w in wires.items()},
                                  ttl=self.keep_seconds)

    async def get_many(self, tickers: Sequence[str]) -> dict[str, LastQuote | None]:
        raws = await self.cache.get_many([self.prefix + t for t in tickers])
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


async def last_known_or_503(last: LastQuotes, names: Sequence[str]) -> dict[str, LastQuote]:
    """Every provider failed: the last-known values, or a 503 problem naming the ones that are
    missing or older than the maximum stale age (with their ages)."""
    try:
        return await last.stale(names)
    except QuotesUnavailable as e:
        raise Problem(503, "Service Unavailable", str(e), type_=TYPE_BASE + "unavailable",
                      headers={"Retry-After": "30"}, ages=e.ages,
                      max_stale_seconds=e.max_stale_seconds) from None


def stale_meta(stale: Mapping[str, LastQuote]) -> dict[str, float | bool | dict[str, float]]:
    """meta for an answer that holds last-known values: `stale` and each one's age."""
    return {"stale": True,
            "age_seconds": round(max(h.age_seconds for h in stale.values()), 3),
            "stale_items": {t: round(h.age_seconds, 3) for t, h in stale.items()}}
