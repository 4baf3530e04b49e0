"""Crypto exchange rates (seed 004, HeyCard): `{coin id: {vs: price, "<vs>_24h_change": pct}}`.

CoinGecko's /simple/price answers when it is switched on (through the crypto chain's breaker and
rate limit); otherwise, or when it fails, the rates come from the crypto chain's quotes for the
matching pairs (bitcoin/usd → BTC-USD), which is the simulated market when no vendor is on.
Each (coin, currency) rate is cached for the seeds' 5 minutes and remembered as last known, so
when every source fails the answer is the last rates marked stale with their age, or a 503.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from stockflow.core.ports import Cache
from stockflow.core.problems import invalid, not_found
from stockflow.market.assets import SYMBOLS, VS_CURRENCIES
from stockflow.market.failover import ProviderChain
from stockflow.market.ports import RATES, MarketDataProvider, capable
from stockflow.market.quote_cache import LastQuotes, last_known_or_503, stale_meta
from stockflow.market.service import FALLBACK_ON

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
                 cache: Cache, last: LastQuotes, ttl: float) -> None:
        self.provider = provider
        # A vendor with the rates capability (CoinGecko) answers any coin id in one call; only
        # used when one is in the crypto chain.
        self.rated = chain if chain is not None and any(
            capable(p, RATES) for p in chain.providers) else None
        self.cache = cache
        self.last = last
        self.ttl = ttl

    async def rates(self, raw_ids: str, raw_vs: str) -> tuple[dict[str, Any], dict[str, Any]]:
        ids = parse_list(raw_ids, "ids", limit=MAX_IDS)
        vs = parse_list(raw_vs, "vs currencies", limit=len(VS_CURRENCIES))
        bad_ids = [i for i in ids if not _ID.match(i)]
        if bad_ids:
            raise invalid(f"not CoinGecko coin ids: {', '.join(bad_ids)}")
        bad_vs = [v for v in vs if v not in VS_CURRENCIES]
        if bad_vs:
            raise invalid(f"unsupported vs currencies {', '.join(bad_vs)}; "
                          f"supported: {', '.join(sorted(VS_CURRENCIES))}")
        names = [f"{i}:{v}" for i in ids for v in vs]
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
        return data, meta

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
        tickers = {f"{SYMBOLS[i]}-{v.upper()}": f"{i}:{v}" for i, v in pairs if i in SYMBOLS}
        wanted = [t for t in tickers if self.provider.supports(t)]
        if not wanted:
            return {}, self.provider.name
        quotes = await self.provider.quotes(wanted)
        out = {tickers[q.ticker]: orjson.dumps({
            "price": q.price, "change_24h": round(q.change_pct, 4),
            "last_updated_at": int(q.time.timestamp())}) for q in quotes}
        return out, ",".join(sorted({q.provider for q in quotes}))


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
