"""Routing by asset class: each ticker goes to the provider chain of its class (equity, crypto,
NSE), and a batch is split across chains and joined again, keeping what each chain answered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from stockflow.core.resilience.errors import ProviderError, ProviderNotFound
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker
from stockflow.market.failover import ChainExhausted
from stockflow.market.ports import MarketDataProvider


def classify_ticker(ticker: str) -> str:
    """Default routing key: "crypto" for pairs (BTC-USD), "fx" for currency pairs (EURUSD),
    "nse" for NSE names, else "equity"."""
    from stockflow.market.assets import fx_pair, is_crypto_pair, nse_symbol

    if is_crypto_pair(ticker):
        return "crypto"
    if fx_pair(ticker) is not None:
        return "fx"
    if nse_symbol(ticker) is not None:
        return "nse"
    return "equity"


class FailoverRouter:
    """MarketDataProvider that hands each ticker to the chain of its asset class.

    With a `reference`, the instrument list comes from it alone: the universe is reference data
    (names, sectors, exchanges), not something to ask every vendor for at start-up.
    """

    name = "failover"

    def __init__(self, routes: Mapping[str, MarketDataProvider], *,
                 classify: Callable[[str], str] = classify_ticker,
                 default: str | None = None,
                 reference: MarketDataProvider | None = None) -> None:
        self.routes = dict(routes)
        self.classify = classify
        self.default = default
        self.reference = reference

    def route(self, ticker: str) -> MarketDataProvider:
        key = self.classify(ticker)
        chain = self.routes.get(key) or (self.routes.get(self.default) if self.default else None)
        if chain is None:
            raise ProviderNotFound(self.name, f"no provider chain for {ticker!r} ({key})")
        return chain

    def supports(self, ticker: str) -> bool:
        try:
            return self.route(ticker).supports(ticker)
        except ProviderNotFound:
            return False

    async def instruments(self) -> list[Instrument]:
        if self.reference is not None:
            return await self.reference.instruments()
        seen: dict[str, Instrument] = {}
        for chain in self.routes.values():
            try:
                for inst in await chain.instruments():
                    seen.setdefault(inst.ticker, inst)
            except ProviderError:
                continue
        return list(seen.values())

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        return await self.route(ticker).quote(ticker, at)

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        groups: dict[int, tuple[MarketDataProvider, list[str]]] = {}
        for t in tickers:
            chain = self.route(t)
            groups.setdefault(id(chain), (chain, []))[1].append(normalise_ticker(t))
        results = await asyncio.gather(*(c.quotes(ts, at) for c, ts in groups.values()),
                                       return_exceptions=True)
        by_ticker: dict[str, Quote] = {}
        errors: dict[str, str] = {}
        for (chain, _), result in zip(groups.values(), results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, ProviderError | TimeoutError):
                    raise result
                # One class's outage must not cost the other classes their answers.
                errors[chain.name] = str(result)
                by_ticker.update(getattr(result, "partial", {}))
            else:
                by_ticker.update((q.ticker, q) for q in result)
        if errors:
            raise ChainExhausted(self.name, errors, partial=by_ticker)
        return [by_ticker[normalise_ticker(t)] for t in tickers]

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        return await self.route(ticker).bars(ticker, interval, start, end)

    def health(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for chain in {id(c): c for c in self.routes.values()}.values():
            health = getattr(chain, "health", None)
            if health is not None:
                out.extend(health())
        return out
