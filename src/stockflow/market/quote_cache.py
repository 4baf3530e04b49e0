"""Last-known quotes for when every provider is down: served marked stale with their age, up
to `max_stale_seconds`; past that `QuotesUnavailable` (the API maps it to a 503 problem).

Each quote is stored with its `stored_at` under a TTL longer than the fresh window, so a stale
copy outlives the 5-minute fresh TTL of the ordinary quote cache.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from stockflow.adapters.providers.errors import ProviderError
from stockflow.core.ports import Cache, Clock
from stockflow.market.domain import Quote, normalise_ticker


class QuotesUnavailable(Exception):
    """No provider answered and no cached quote is recent enough."""

    def __init__(self, tickers: Sequence[str], *, max_stale_seconds: float,
                 ages: dict[str, float | None] | None = None) -> None:
        super().__init__(f"quotes unavailable for {', '.join(tickers)}: every provider failed "
                         f"and no cached quote is younger than {max_stale_seconds:.0f}s")
        self.tickers = list(tickers)
        self.max_stale_seconds = max_stale_seconds
        self.ages = dict(ages or {})


@dataclass(frozen=True, slots=True)
class CachedQuote:
    quote: Quote
    stale: bool
    age_seconds: float


def _encode(quote: Quote, stored_at: float) -> bytes:
    d = asdict(quote)
    d["time"] = quote.time.isoformat()
    return json.dumps({"quote": d, "stored_at": stored_at}).encode()


def _decode(raw: bytes) -> tuple[Quote, float]:
    d = json.loads(raw)
    q = dict(d["quote"])
    q["time"] = datetime.fromisoformat(q["time"])
    return Quote(**q), float(d["stored_at"])


class StaleQuoteCache:
    def __init__(self, cache: Cache, *, clock: Clock, fresh_ttl: float = 300.0,
                 max_stale_seconds: float = 3600.0, keep_seconds: float | None = None,
                 prefix: str = "quote:last:",
                 fallback_on: tuple[type[BaseException], ...] = (ProviderError, TimeoutError),
                 ) -> None:
        if max_stale_seconds < fresh_ttl:
            raise ValueError("max_stale_seconds must be >= fresh_ttl")
        self.cache = cache
        self.clock = clock
        self.fresh_ttl = fresh_ttl
        self.max_stale_seconds = max_stale_seconds
        # Kept a little past the max stale age, so "too old" is reported rather than "none".
        self.keep_seconds = keep_seconds or max_stale_seconds * 2
        self.prefix = prefix
        self.fallback_on = fallback_on

    def _key(self, ticker: str) -> str:
        return self.prefix + normalise_ticker(ticker)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def put(self, quote: Quote) -> None:
        await self.cache.set(self._key(quote.ticker), _encode(quote, self._now()),
                             ttl=self.keep_seconds)

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        now = self._now()
        if quotes:
            await self.cache.set_many({self._key(q.ticker): _encode(q, now) for q in quotes},
                                      ttl=self.keep_seconds)

    async def last(self, ticker: str) -> CachedQuote | None:
        """The stored quote with its age, whatever that age (None when nothing is stored)."""
        raw = await self.cache.get(self._key(ticker))
        return self._cached(raw) if raw is not None else None

    def _cached(self, raw: bytes) -> CachedQuote:
        quote, stored_at = _decode(raw)
        age = max(0.0, self._now() - stored_at)
        return CachedQuote(quote, stale=age > self.fresh_ttl, age_seconds=age)

    async def fresh(self, ticker: str) -> Quote | None:
        hit = await self.last(ticker)
        return hit.quote if hit is not None and not hit.stale else None

    async def fetch(self, ticker: str,
                    loader: Callable[[str], Awaitable[Quote]]) -> CachedQuote:
        """Ask `loader` (a ProviderChain's `quote`); when it fails, serve the stored quote as
        stale with its age, or raise QuotesUnavailable when it is older than the max."""
        try:
            quote = await loader(ticker)
        except self.fallback_on:
            hit = await self.last(ticker)
            if hit is None or hit.age_seconds > self.max_stale_seconds:
                raise QuotesUnavailable(
                    [normalise_ticker(ticker)], max_stale_seconds=self.max_stale_seconds,
                    ages={normalise_ticker(ticker): hit.age_seconds if hit else None},
                ) from None
            return CachedQuote(hit.quote, stale=True, age_seconds=hit.age_seconds)
        await self.put(quote)
        return CachedQuote(quote, stale=False, age_seconds=0.0)

    async def fetch_many(self, tickers: Sequence[str],
                         loader: Callable[[list[str]], Awaitable[list[Quote]]],
                         ) -> list[CachedQuote]:
        """Batch form of `fetch`: all-or-stale, since a chain raises for the whole batch."""
        wanted = [normalise_ticker(t) for t in tickers]
        try:
            quotes = await loader(wanted)
        except self.fallback_on:
            raws = await self.cache.get_many([self._key(t) for t in wanted])
            hits = {t: self._cached(r) if r is not None else None for t, r in zip(wanted, raws)}
            too_old = {t: h.age_seconds if h else None for t, h in hits.items()
                       if h is None or h.age_seconds > self.max_stale_seconds}
            if too_old:
                raise QuotesUnavailable(list(too_old), max_stale_seconds=self.max_stale_seconds,
                                        ages=too_old) from None
            return [CachedQuote(h.quote, stale=True, age_seconds=h.age_seconds)
                    for h in hits.values() if h is not None]
        await self.put_many(quotes)
        return [CachedQuote(q, stale=False, age_seconds=0.0) for q in quotes]
