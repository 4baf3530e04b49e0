"""Where each watched ticker's ticks come from, as the market knows it: a vendor's push stream
when one is switched on and covers the ticker, else its asset class's provider chain (polled by
the pipeline's `quote-ingestion` job), else the simulated market's one-second ticks.

The pipeline asks this port (`TickSources`) at start; it never sees a vendor by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stockflow.market.calendar import MarketCalendars
from stockflow.market.ports import STREAM, MarketDataProvider, TickFeed, capable
from stockflow.market.providers import MarketSources, ProviderConfigError
from stockflow.market.service import MarketDataService


@dataclass
class IngestionPlan:
    streams: list[tuple[TickFeed, list[str]]] = field(default_factory=list)
    polled: dict[str, tuple[MarketDataProvider, list[str]]] = field(default_factory=dict)
    simulated: list[str] = field(default_factory=list)
    simulator: Any = None  # the provider that makes the simulated ticks (has quote_sync)


class TickSources:
    def __init__(self, market: MarketDataService, sources: MarketSources,
                 calendars: MarketCalendars, *, watched: list[str]) -> None:
        self.market = market
        self.sources = sources
        self.calendars = calendars
        self._watched = {t.upper() for t in watched}

    @property
    def polls(self) -> bool:
        """Whether any asset class has a real provider chain to poll."""
        return bool(self.sources.chains)

    def watched(self) -> list[str]:
        return [i.ticker for i in self.market.universe
                if not self._watched or i.ticker in self._watched]

    def is_open(self, ticker: str, at: datetime) -> bool:
        return self.calendars.is_trading_time(self.market.instrument(ticker).exchange, at)

    def exchange_of(self, ticker: str) -> str:
        return self.market.instrument(ticker).exchange

    def plan(self) -> IngestionPlan:
        plan = IngestionPlan()
        tickers = self.watched()
        for name, conf in self.sources.settings.items():
            if not conf.stream:
                continue
            vendor = self.sources.vendors[name]
            if not capable(vendor, STREAM):
                raise ProviderConfigError(f"provider {name} has no stream")
            covered = [t for t in tickers if vendor.stream_covers(t)]
            plan.streams.append((vendor.stream_feed(covered, conf.stream_url), covered))
            tickers = [t for t in tickers if t not in set(covered)]
        router = self.sources.router
        for t in tickers:
            chain = router.route(t) if router is not None else None
            if chain is None or chain.name not in self.sources.chains:
                plan.simulated.append(t)
            else:
                plan.polled.setdefault(chain.name, (chain, []))[1].append(t)
        plan.simulator = router.reference if router is not None else self.sources.provider
        return plan
