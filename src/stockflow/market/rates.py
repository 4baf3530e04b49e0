"""Crypto exchange rates (seed 004, HeyCard): `{coin id: {vs: price, "<vs>_24h_change": pct}}`.

CoinGecko's /simple/price answers when it is switched on (through the crypto chain's breaker and
rate limit); otherwise, or when it fails, the rates come from the market's quotes: the matching
pair (bitcoin/usd → BTC-USD) where one is listed, else the coin's USD pair crossed with an FX
pair (bitcoin/eur = BTC-USD / EURUSD) or another coin (bitcoin/eth = BTC-USD / ETH-USD), which
is the simulated market when no vendor is on. Each (coin, currency) rate is cached for the seeds'
5 minutes and remembered as last known, so when every source fails the answer is the last rates
marked stale with their age, or a 503.

Rates obey the tier rules of quotes: a caller without real-time access gets `delayed_rates`,
the same crosses read from stored 1-minute bars as they stood `delay` seconds ago.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import orjson

from stockflow.core.ports import Cache
from stockflow.core.problems import invalid, not_found
from stockflow.market.assets import SYMBOLS, VS_CURRENCIES
from stockflow.market.failover import ProviderChain
from stockflow.market.ports import RATES, MarketDataProvider, capable
from stockflow.market.quote_cache import LastQuotes, last_known_or_503, stale_meta
from stockflow.market.service import FALLBACK_ON, MAX_BATCH, MarketDataService

# A leg of a rate: (ticker, exponent); the rate is the product of each leg's price ** exponent.
Legs = list[tuple[str, int]]
# What a source hands back per ticker: (price, previous close, time as a Unix timestamp).
Priced = dict[str, tuple[float, float, int]]

MAX_IDS = 50
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def parse_list(raw: str, what: str, *, limit: int) -> list[str]:
    items = list(dict.fromkeys(x.strip().lower() for x in raw.split(",") if x.strip()))
    if not items:
        raise invalid(f"{what} must name at least one value")
    if len(items) > limit:
        raise invalid(f"at most {limit} {what} per call, got {len(items)}")
    return items


class CryptoRates:
    def __init__(self, *, provider: MarketDataProvider, chain: ProviderChain | None,
                 cache: Cache, last: LastQuotes, ttl: float,
                 market: MarketDataService | None = None,
                 fx_pairs: Callable[[], dict[tuple[str, str], str]] = dict) -> None:
        self.provider = provider
        self.market = market  # stored bars, for the delayed rates of the free tier
        self.fx_pairs = fx_pairs
        # A vendor with the rates capability (CoinGecko) answers any coin id in one call; only
        # used when one is in the crypto chain.
        self.rated = chain if chain is not None and any(
            capable(p, RATES) for p in chain.providers) else None
        self.cache = cache
        self.last = last
        self.ttl = ttl

    async def rates(self, raw_ids: str, raw_vs: str) -> tuple[dict[str, Any], dict[str, Any]]:
        names = _names(raw_ids, raw_vs)
        cached = await self.cache.get_many(["rate:" + n for n in names])
        got = {n: c for n, c in zip(names, cached, strict=True) if c is not None}
        missing = [n for n in names if n not in got]
        meta: dict[str, Any] = {}
        if missing:
            try:
                fresh, source = await self._fetch(missing)
                meta["source"] = source
            except FALLBACK_ON:
                stale = await last_known_or_503(self.last, missing)
                fresh = {n: h.wire for n, h in stale.items()}
                meta.update(stale_meta(stale))
            else:
                unknown = [n.replace(":", "/") for n in missing if n not in fresh]
                if unknown:
                    raise not_found("rates", ", ".join(unknown))
                await self.cache.set_many({"rate:" + n: w for n, w in fresh.items()}, self.ttl)
                await self.last.put_many(fresh)
            got.update(fresh)
        return _shape(names, got), meta

    async def delayed_rates(self, raw_ids: str, raw_vs: str, delay: float,
                            ) -> tuple[dict[str, Any], datetime]:
        """Rates as they stood `delay` seconds ago, from stored 1-minute bars only: a delayed
        caller is never handed a vendor's live rate."""
        names = _names(raw_ids, raw_vs)
        assert self.market is not None  # built with the market service wherever routes serve
        at: list[datetime] = []

        async def source(tickers: list[str]) -> Priced:
            out: Priced = {}
            for i in range(0, len(tickers), MAX_BATCH):
                body, when = await self.market.delayed_quotes_json(  # type: ignore[union-attr]
                    ",".join(tickers[i:i + MAX_BATCH]), delay)
                at.append(when)
                out.update((q["ticker"], (q["price"], q["prev_close"], int(
                    datetime.fromisoformat(q["time"]).timestamp()))) for q in orjson.loads(body))
            return out

        fresh, _ = await self._crossed([n.split(":") for n in names], source)
        unknown = [n.replace(":", "/") for n in names if n not in fresh]
        if unknown:
            raise not_found("rates", ", ".join(unknown))
        return _shape(names, fresh), at[0]

    async def _fetch(self, names: Sequence[str]) -> tuple[dict[str, bytes], str]:
        pairs = [n.split(":") for n in names]
        ids = list(dict.fromkeys(i for i, _ in pairs))
        vs = list(dict.fromkeys(v for _, v in pairs))
        if self.rated is not None:
            member = next(p for p in self.rated.providers if capable(p, RATES))
            try:
                body = await self.rated.ask(member.name, lambda p: p.rates(ids, vs))
                return _from_rates(body, pairs), member.name
            except FALLBACK_ON:
                pass  # the chain's other members may still quote the pairs
        return await self._from_quotes(pairs)

    async def _from_quotes(self, pairs: list[list[str]]) -> tuple[dict[str, bytes], str]:
        providers: set[str] = set()

        async def live(tickers: list[str]) -> Priced:
            quotes = await self.provider.quotes(tickers)
            providers.update(q.provider for q in quotes)
            return {q.ticker: (q.price, q.prev_close, int(q.time.timestamp())) for q in quotes}

        out, _ = await self._crossed(pairs, live)
        return out, ",".join(sorted(providers)) or self.provider.name

    async def _crossed(self, pairs: list[list[str]],
                       source: Callable[[list[str]], Awaitable[Priced]],
                       ) -> tuple[dict[str, bytes], Priced]:
        """Each (coin, currency) rate as the product of its legs' prices from `source`; a pair
        with no way to price it is left out (the caller answers 404 for it)."""
        plans = {f"{i}:{v}": legs for i, v in pairs if (legs := self._legs(i, v)) is not None}
        tickers = sorted({t for legs in plans.values() for t, _ in legs})
        priced = await source(tickers) if tickers else {}
        out = {}
        for name, legs in plans.items():
            if any(t not in priced for t, _ in legs):
                continue
            price = math.prod(priced[t][0] ** e for t, e in legs)
            prev = math.prod(priced[t][1] ** e for t, e in legs)
            out[name] = orjson.dumps({
                "price": price, "change_24h": round((price / prev - 1.0) * 100.0, 4),
                "last_updated_at": min(priced[t][2] for t, _ in legs)})
        return out, priced

    def _legs(self, coin: str, vs: str) -> Legs | None:
        """How to price one coin in one currency: its own pair (BTC-EUR) where listed, else its
        USD pair times the currency's rate to the dollar."""
        sym = SYMBOLS.get(coin)
        if sym is None:
            return None
        direct = f"{sym}-{vs.upper()}"
        if self.provider.supports(direct):
            return [(direct, 1)]
        usd = f"{sym}-USD"
        per_usd = self._per_usd(vs.upper())
        if per_usd is None or not self.provider.supports(usd):
            return None
        return [(usd, 1), *per_usd]

    def _per_usd(self, cur: str) -> Legs | None:
        """Units of `cur` per dollar: an FX pair (USDJPY, or 1 / EURUSD) or a coin's dollar
        price inverted (1 / ETH-USD)."""
        pairs = self.fx_pairs()
        if ("USD", cur) in pairs:
            return [(pairs["USD", cur], 1)]
        if (cur, "USD") in pairs:
            return [(pairs[cur, "USD"], -1)]
        coin = f"{cur}-USD"
        return [(coin, -1)] if self.provider.supports(coin) else None


def _names(raw_ids: str, raw_vs: str) -> list[str]:
    """The (coin, currency) names a request asks for, "bitcoin:eur", checked."""
    ids = parse_list(raw_ids, "ids", limit=MAX_IDS)
    vs = parse_list(raw_vs, "vs currencies", limit=len(VS_CURRENCIES))
    bad_ids = [i for i in ids if not _ID.match(i)]
    if bad_ids:
        raise invalid(f"not CoinGecko coin ids: {', '.join(bad_ids)}")
    bad_vs = [v for v in vs if v not in VS_CURRENCIES]
    if bad_vs:
        raise invalid(f"unsupported vs currencies {', '.join(bad_vs)}; "
                      f"supported: {', '.join(sorted(VS_CURRENCIES))}")
    return [f"{i}:{v}" for i in ids for v in vs]


def _shape(names: list[str], got: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """CoinGecko's /simple/price shape: {coin: {vs: price, "<vs>_24h_change": pct, ...}}."""
    data: dict[str, dict[str, Any]] = {}
    for name in names:
        coin, cur = name.split(":")
        entry = orjson.loads(got[name])
        row = data.setdefault(coin, {})
        row[cur] = entry["price"]
        if entry.get("change_24h") is not None:
            row[f"{cur}_24h_change"] = entry["change_24h"]
        if entry.get("last_updated_at") is not None:
            row["last_updated_at"] = entry["last_updated_at"]
    return data


def _from_rates(body: dict[str, dict[str, float]], pairs: list[list[str]]
                    ) -> dict[str, bytes]:
    out = {}
    for coin, cur in pairs:
        row = body.get(coin)
        if row is None or cur not in row:
            continue
        updated = row.get("last_updated_at")
        out[f"{coin}:{cur}"] = orjson.dumps({
            "price": row[cur], "change_24h": row.get(f"{cur}_24h_change"),
            "last_updated_at": int(updated) if updated is not None else None})
    return out
