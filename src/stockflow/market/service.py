"""Market data use cases: quotes through the cache, history from storage, status, the universe."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from stockflow.core.catalogue import QUOTE_UPDATED
from stockflow.core.metrics import Metrics
from stockflow.core.pagination import decode_cursor, encode_cursor
from stockflow.core.ports import Cache, Clock, EventBus
from stockflow.core.problems import invalid, not_found, unavailable
from stockflow.core.resilience.errors import ProviderError
from stockflow.core.times import MAX_INSTANT, MIN_INSTANT, clamp_utc
from stockflow.market.calendar import MarketCalendars
from stockflow.market.domain import (
    Bar,
    Instrument,
    Interval,
    Quote,
    normalise_ticker,
    normalise_tickers,
)
from stockflow.market.ports import MarketDataProvider, MarketStore
from stockflow.market.quote_cache import LastQuote, LastQuotes, last_known_or_503, stale_meta
from stockflow.market.schemas import bar_to_wire, instrument_to_wire, quote_to_wire

MAX_BATCH = 50
# Without `start`, history covers a window that suits the interval.
DEFAULT_WINDOW = {Interval.D1: timedelta(days=366)}
DEFAULT_INTRADAY_WINDOW = timedelta(days=7)
EXCHANGES = ("XNYS", "XNAS", "XNSE", "CRYPTO", "FX")
# What a provider (or a whole failover chain) raises when it cannot answer now.
FALLBACK_ON = (ProviderError, TimeoutError)
NO_META: dict[str, Any] = {}
SESSION_MINUTES = 24 * 60  # the longest session (crypto, a UTC day) in 1-minute bars


def quote_key(ticker: str) -> str:
    return f"quote:{ticker}"


class MarketDataService:
    def __init__(self, *, store: MarketStore, provider: MarketDataProvider, cache: Cache,
                 bus: EventBus, clock: Clock, calendars: MarketCalendars, metrics: Metrics,
                 quote_ttl: float, last_quotes: LastQuotes | None = None,
                 free_delay: int = 900) -> None:
        self.store = store
        self.free_delay = free_delay  # seconds: how old the free tier's quotes and bars are
        self.provider = provider
        self.cache = cache
        self.bus = bus
        self.clock = clock
        self.calendars = calendars
        self.metrics = metrics
        self.quote_ttl = quote_ttl
        self.last_quotes = last_quotes
        self._universe: dict[str, Instrument] = {}
        self._quote_keys: dict[str, str] = {}  # ticker -> cache key, made once per universe
        # Bound once: quote reads count on every request.
        self._quote_hits = metrics.cache_hits.labels("quote")
        self._quote_misses = metrics.cache_misses.labels("quote")

    # -- universe -------------------------------------------------------------------------
    async def load_universe(self) -> list[Instrument]:
        """Seed storage with the provider's instruments and keep an index for fast lookups."""
        instruments = await self.provider.instruments()
        await self.store.upsert_instruments(instruments)
        stored = await self.store.list_instruments()
        self._universe = {i.ticker: i for i in stored}
        self._quote_keys = {t: quote_key(t) for t in self._universe}
        return stored

    def instrument(self, raw_ticker: str) -> Instrument:
        ticker = normalise_ticker(raw_ticker)
        inst = self._universe.get(ticker)
        if inst is None:
            raise not_found("ticker", ticker)
        return inst

    @property
    def universe(self) -> list[Instrument]:
        return list(self._universe.values())

    # -- quotes ---------------------------------------------------------------------------
    async def quote_json(self, raw_ticker: str) -> tuple[bytes, dict[str, Any]]:
        """A quote as wire JSON bytes, with the meta it needs (empty unless stale): cache first
        (5-minute TTL), then the provider, then the last-known quote marked stale."""
        # Most requests name a ticker exactly as listed; only the rest need normalising.
        inst = self._universe.get(raw_ticker) or self.instrument(raw_ticker)
        cached = await self.cache.get(self._quote_keys[inst.ticker])
        if cached is not None:
            self._quote_hits.inc()
            return cached, NO_META
        self._quote_misses.inc()
        try:
            quote = await self.provider.quote(inst.ticker, self.clock.now())
        except FALLBACK_ON:
            stale = await self._stale([inst.ticker])
            return stale[inst.ticker].wire, stale_meta(stale)
        raw = await self._store_fresh([quote])
        return raw[inst.ticker], NO_META

    async def quotes_json(self, raw_tickers: str) -> tuple[bytes, dict[str, Any]]:
        tickers = parse_tickers(raw_tickers)
        # The batch route's hot path: C-level scans (map, `None in`) over per-ticker Python.
        keys = list(map(self._quote_keys.get, tickers))
        if None in keys:
            raise not_found("tickers", ",".join(t for t in tickers if t not in self._universe))
        cached = await self.cache.get_many(keys)  # type: ignore[arg-type]
        missing = ([t for t, c in zip(tickers, cached, strict=True) if c is None]
                   if None in cached else [])
        if len(missing) < len(tickers):
            self._quote_hits.inc(len(tickers) - len(missing))
        meta = NO_META
        if missing:
            self._quote_misses.inc(len(missing))
            try:
                got = await self._store_fresh(
                    await self.provider.quotes(missing, self.clock.now()))
            except FALLBACK_ON as e:
                # Keep what some provider did answer; only the rest are served stale.
                got = await self._store_fresh(list(getattr(e, "partial", {}).values()))
                rest = [t for t in missing if t not in got]
                if rest:
                    stale = await self._stale(rest)
                    got.update((t, h.wire) for t, h in stale.items())
                    meta = stale_meta(stale)
            cached = [c if c is not None else got[t]
                      for t, c in zip(tickers, cached, strict=True)]
        return b"".join((b"[", b",".join(cached), b"]")), meta  # type: ignore[arg-type]

    async def _store_fresh(self, quotes: list[Quote]) -> dict[str, bytes]:
        """Cache fresh quotes (and remember them as last known), announce them; → wire bytes."""
        by_ticker: dict[str, bytes] = {}
        events = []
        now = self.clock.now()  # the events' time: the last-known store reads ages from it
        for q in quotes:
            inst = self._universe[q.ticker]
            wire = quote_to_wire(q, currency=inst.currency, exchange=inst.exchange)
            by_ticker[q.ticker] = orjson.dumps(wire)
            events.append(QUOTE_UPDATED.event(wire, key=q.ticker, time=now))
        await self.cache.set_many({quote_key(t): v for t, v in by_ticker.items()},
                                  self.quote_ttl)
        if self.last_quotes is not None:
            await self.last_quotes.put_many(by_ticker, at=now)
        await self.bus.publish_many(QUOTE_UPDATED.name, events)
        return by_ticker

    async def _stale(self, tickers: list[str]) -> dict[str, LastQuote]:
        """Every provider failed: the last-known quotes, or a 503 problem past the max age."""
        if self.last_quotes is None:
            raise unavailable(f"no provider could quote {', '.join(tickers)}", retry_after=30)
        stale = await last_known_or_503(self.last_quotes, tickers)
        self.metrics.stale_quotes_served.inc(len(stale))
        return stale

    # -- delayed quotes (the free tier) ---------------------------------------------------
    async def delayed_quotes_json(self, raw_tickers: str, delay: float,
                                  ) -> tuple[bytes, datetime]:
        """Quotes as they stood `delay` seconds ago, from stored 1-minute bars: any provider's
        history serves, and a delayed caller can never be handed a live price by mistake."""
        at = self.clock.now() - timedelta(seconds=delay)
        quotes = [await self._quote_at(t, at) for t in parse_tickers(raw_tickers)]
        return b"".join((b"[", b",".join(quotes), b"]")), at

    async def delayed_quote_json(self, raw_ticker: str, delay: float) -> tuple[bytes, datetime]:
        at = self.clock.now() - timedelta(seconds=delay)
        return await self._quote_at(self.instrument(raw_ticker).ticker, at), at

    async def _quote_at(self, ticker: str, at: datetime) -> bytes:
        inst = self._universe.get(ticker) or self.instrument(ticker)
        # A minute bar stamped t covers [t, t + 1 min): closed by `at` when t <= at - 1 min.
        before = at - Interval.M1.delta + timedelta(microseconds=1)
        bars = await self.store.last_bars(inst.ticker, Interval.M1, before, SESSION_MINUTES)
        if not bars:
            raise unavailable(f"no delayed quote for {inst.ticker} yet", retry_after=60)
        last = bars[-1]
        day = [b for b in bars if b.time.date() == last.time.date()]
        earlier = bars[-len(day) - 1] if len(day) < len(bars) else None
        quote = Quote(ticker=inst.ticker, time=last.time + Interval.M1.delta, price=last.close,
                      bid=last.close, ask=last.close, bid_size=0, ask_size=0,
                      volume=sum(b.volume for b in day), open=day[0].open,
                      high=max(b.high for b in day), low=min(b.low for b in day),
                      prev_close=earlier.close if earlier else day[0].open,
                      provider=last.provider)
        return orjson.dumps(quote_to_wire(quote, currency=inst.currency, exchange=inst.exchange))

    async def refresh_quotes(self, at: datetime | None = None) -> int:
        """Pull fresh quotes for the whole universe into the cache and announce them."""
        tickers = list(self._universe)
        quotes = await self.provider.quotes(tickers, at or self.clock.now())
        await self._store_fresh(quotes)
        self.metrics.quotes_generated.labels(self.provider.name).inc(len(quotes))
        return len(quotes)

    async def remember(self, encoded: dict[str, bytes], at: datetime) -> None:
        """QuoteSink: live quotes from the pipeline's realtime stage, wire-encoded by ticker,
        cached for the quote routes and kept as last known past their TTL."""
        await self.cache.set_many({quote_key(t): v for t, v in encoded.items()}, self.quote_ttl)
        if self.last_quotes is not None:
            await self.last_quotes.put_many(encoded, at=at)

    async def bars(self, ticker: str, interval: Interval, start: datetime | None,
                   end: datetime | None, limit: int, *, after: datetime | None = None,
                   ) -> list[Bar]:
        """MarketReader: stored bars of one ticker with start <= time < end, oldest first."""
        return await self.store.read_bars(ticker, interval, start, end, limit, after)

    # -- history --------------------------------------------------------------------------
    async def history(self, raw_ticker: str, interval: Interval, start: datetime | None,
                      end: datetime | None, limit: int, cursor: str | None,
                      delay: float = 0.0) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Bars oldest first. With a delay, only bars closed that long ago: a delayed caller's
        history must not reveal what its quotes hold back."""
        inst = self.instrument(raw_ticker)
        start, end = _aware(start), _aware(end)
        end = end or min(self.clock.now() + interval.delta, MAX_INSTANT)
        if delay:
            end = min(end, self.clock.now() - timedelta(seconds=delay) - interval.delta
                      + timedelta(microseconds=1))
        if start is None:
            start = max(end - DEFAULT_WINDOW.get(interval, DEFAULT_INTRADAY_WINDOW),
                        MIN_INSTANT)
        if start >= end:
            raise invalid("start must be before end")
        after = None
        if cursor:
            c = decode_cursor(cursor)
            if c.get("ticker") != inst.ticker or c.get("interval") != interval.value:
                raise invalid("cursor belongs to another query")
            after = _parse_time(c.get("after"))
        # One extra row tells whether another page exists without a count query.
        bars = await self.store.read_bars(inst.ticker, interval, start, end, limit + 1, after)
        has_more = len(bars) > limit
        bars = bars[:limit]
        meta: dict[str, Any] = {"ticker": inst.ticker, "interval": interval.value,
                                "has_more": has_more, "next_cursor": None}
        if has_more:
            meta["next_cursor"] = encode_cursor({"ticker": inst.ticker,
                                                 "interval": interval.value,
                                                 "after": bars[-1].time.isoformat()})
        return [bar_to_wire(b) for b in bars], meta

    # -- status and companies -------------------------------------------------------------
    def market_status(self, at: datetime | None = None) -> list[dict[str, Any]]:
        now = at or self.clock.now()
        return [self.calendars.status(ex, now).to_wire() for ex in EXCHANGES]

    def companies(self, *, sector: str | None, exchange: str | None, asset_class: str | None,
                  sort: str, limit: int, cursor: str | None,
                  ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        rows = self.universe
        if sector:
            rows = [i for i in rows if i.sector.lower() == sector.lower()]
        if exchange:
            rows = [i for i in rows if i.exchange.lower() == exchange.lower()]
        if asset_class:
            rows = [i for i in rows if str(i.asset_class) == asset_class.lower()]
        field, reverse = sort.lstrip("-"), sort.startswith("-")
        if field not in {"ticker", "name", "market_cap", "sector"}:
            raise invalid(f"cannot sort by {field!r}; use ticker, name, market_cap or sector")
        rows.sort(key=lambda i: (getattr(i, field), i.ticker), reverse=reverse)
        offset = int(decode_cursor(cursor).get("offset", 0)) if cursor else 0
        page = rows[offset:offset + limit]
        has_more = offset + limit < len(rows)
        meta = {"has_more": has_more, "total": len(rows),
                "next_cursor": encode_cursor({"offset": offset + limit}) if has_more else None}
        return [instrument_to_wire(i) for i in page], meta


def parse_tickers(raw: str) -> list[str]:
    tickers = list(dict.fromkeys(normalise_tickers(raw)))
    if not tickers:
        raise invalid("tickers must name at least one ticker")
    if len(tickers) > MAX_BATCH:
        raise invalid(f"at most {MAX_BATCH} tickers per call, got {len(tickers)}")
    return tickers


def _aware(t: datetime | None) -> datetime | None:
    # Clamped, not refused: a start in year 1 asks for everything, and says so correctly.
    return None if t is None else clamp_utc(t)


def _parse_time(value: object) -> datetime:
    try:
        return _aware(datetime.fromisoformat(str(value)))  # type: ignore[return-value]
    except ValueError:
        raise invalid("cursor is not one this API issued") from None
