"""The market's data source, built from settings: per asset class a failover chain of the real
vendors that are switched on (breaker, token bucket, retries, validation), and the simulated
market standing in for every asset class that has none. No I/O here: clients open on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stockflow.core import registry
from stockflow.core.ports import Clock
from stockflow.core.resilience import (
    BreakerStore,
    CircuitBreaker,
    MemoryBreakerStore,
    RetryPolicy,
    TokenBucket,
)
from stockflow.core.resilience.errors import ProviderUnavailable
from stockflow.market.config import ProviderSettings
from stockflow.market.failover import EventHook, LatencyHook, ProviderChain
from stockflow.market.ports import MarketDataProvider
from stockflow.market.routing import FailoverRouter


@dataclass(frozen=True)
class Vendor:
    factory: str           # "module:make_provider", imported only when the vendor is on
    keyed: bool            # needs an API key to be switched on
    rate: float            # default token-bucket refill (calls a second): the free tier's limit
    capacity: float        # default burst


VENDORS: dict[str, Vendor] = {
    # Polygon's and Alpha Vantage's free tiers allow 5 calls a minute.
    "polygon": Vendor("stockflow.adapters.providers.polygon:make_provider", True, 5 / 60, 5),
    "alphavantage": Vendor("stockflow.adapters.providers.alphavantage:make_provider", True,
                           5 / 60, 5),
    # Yahoo publishes no limit; about 2 a second stays clear of its throttling.
    "yahoo": Vendor("stockflow.adapters.providers.yahoo:make_provider", False, 2.0, 5),
    # CoinGecko's demo plan: 30 calls a minute.
    "coingecko": Vendor("stockflow.adapters.providers.coingecko:make_provider", False, 0.5, 5),
    # Binance: 6,000 request weight a minute; a ticker call weighs 2-80.
    "binance": Vendor("stockflow.adapters.providers.binance:make_provider", False, 10.0, 20),
    # The ECB's reference-rate files are static and change once a working day; no key.
    "ecb": Vendor("stockflow.adapters.providers.ecb:make_provider", False, 1.0, 2),
    # Dhan's market-quote API: 1 request a second.
    "dhan": Vendor("stockflow.adapters.providers.dhan:make_provider", True, 1.0, 1),
}


class ProviderConfigError(ValueError):
    pass


def enabled_vendors(settings: Any) -> dict[str, ProviderSettings]:
    """Vendors switched on: an enabled entry in `providers`, with a key where one is needed."""
    out: dict[str, ProviderSettings] = {}
    for name, conf in settings.providers.items():
        vendor = VENDORS.get(name)
        if vendor is None:
            raise ProviderConfigError(
                f"unknown provider {name!r}; known: {', '.join(sorted(VENDORS))}")
        if not conf.enabled:
            continue
        if vendor.keyed and conf.api_key is None:
            raise ProviderConfigError(
                f"provider {name} needs an API key: set STOCKFLOW_PROVIDERS__{name.upper()}"
                f"__API_KEY, or STOCKFLOW_PROVIDERS__{name.upper()}__ENABLED=false")
        out[name] = conf
    for chain, names in settings.failover.chains.items():
        unknown = [n for n in names if n not in VENDORS]
        if unknown:
            raise ProviderConfigError(f"failover chain {chain!r} names unknown providers "
                                      f"{unknown}; known: {', '.join(sorted(VENDORS))}")
    return out


def make_vendor(name: str, conf: ProviderSettings) -> Any:
    module, _, attr = VENDORS[name].factory.partition(":")
    return getattr(importlib.import_module(module), attr)(conf)


@dataclass
class MarketSources:
    """What bootstrap hands the market service, plus what the admin view and shutdown need."""

    provider: MarketDataProvider
    router: FailoverRouter | None = None
    chains: dict[str, ProviderChain] = field(default_factory=dict)
    vendors: dict[str, Any] = field(default_factory=dict)
    simulated_classes: list[str] = field(default_factory=list)
    breaker_store: BreakerStore | None = None
    chain_names: dict[str, list[str]] = field(default_factory=dict)  # as configured
    settings: dict[str, ProviderSettings] = field(default_factory=dict)  # the vendors on

    @property
    def live(self) -> bool:
        return bool(self.chains)

    def chain_of(self, asset_class: str) -> ProviderChain | None:
        return self.chains.get(asset_class)

    def health(self) -> list[dict[str, Any]]:
        rows = self.router.health() if self.router is not None else []
        rows.extend({"chain": c, "provider": "simulated", "breaker_state": "closed",
                     "note": "no real provider configured for this asset class"}
                    for c in self.simulated_classes)
        return rows

    async def close(self) -> None:
        for vendor in self.vendors.values():
            await vendor.aclose()
        if self.breaker_store is not None:
            await self.breaker_store.close()


def build_sources(settings: Any, *, clock: Clock, simulated: MarketDataProvider,
                  on_event: EventHook | None = None, observe: LatencyHook | None = None,
                  make: Callable[[str, ProviderSettings], Any] = make_vendor,
                  ) -> MarketSources:
    """Chains for the asset classes that have a switched-on vendor; simulated for the rest.
    With no vendor at all, the simulated market is the provider, untouched (no router)."""
    on = enabled_vendors(settings)
    if not on:
        return MarketSources(provider=simulated,
                             simulated_classes=sorted(settings.failover.chains),
                             chain_names=settings.failover.chains)
    f = settings.failover
    store = _breaker_store(f.breaker_store_url)
    vendors = {name: make(name, conf) for name, conf in on.items()}
    # One bucket per vendor, shared by every chain that uses it: the vendor's limit is per key.
    limiters = {name: TokenBucket(conf.capacity or VENDORS[name].capacity,
                                  conf.rate or VENDORS[name].rate, clock=clock, name=name)
                for name, conf in on.items()}
    retry = RetryPolicy(attempts=f.retries + 1, base=f.retry_base_seconds,
                        # Only outages are worth a second try: a 404, a bad key or a 429 will
                        # not improve by asking the same vendor again at once.
                        retry_on=(ProviderUnavailable, TimeoutError)) if f.retries else None
    chains: dict[str, ProviderChain] = {}
    routes: dict[str, MarketDataProvider] = {}
    simulated_classes: list[str] = []
    for asset_class, names in f.chains.items():
        members = [vendors[n] for n in names if n in vendors]
        if not members:
            routes[asset_class] = simulated
            simulated_classes.append(asset_class)
            continue
        b = f.breaker
        breakers = {p.name: CircuitBreaker(
            f"{asset_class}:{p.name}", failure_threshold=b.failure_threshold,
            failure_rate=b.failure_rate, window=b.window, min_calls=b.min_calls,
            reset_timeout=b.reset_timeout, clock=clock, store=store) for p in members}
        chain = ProviderChain(
            asset_class, members, breakers=breakers,
            limiters={p.name: limiters[p.name] for p in members}, clock=clock,
            max_jump_pct=f.max_jump_pct, on_event=on_event, retry=retry,
            call_timeout=f.call_timeout, observe=observe,
            cost_per_call={p.name: on[p.name].cost_per_call for p in members})
        chains[asset_class] = routes[asset_class] = chain
    router = FailoverRouter(routes, reference=simulated)
    return MarketSources(provider=router, router=router, chains=chains, vendors=vendors,
                         simulated_classes=simulated_classes, breaker_store=store,
                         chain_names=f.chains, settings=on)


def _breaker_store(url: str) -> BreakerStore:
    if registry.scheme_of(url) == "memory":
        return MemoryBreakerStore()
    from stockflow.core.resilience.redis_store import RedisBreakerStore

    return RedisBreakerStore(url)


BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


class ProviderCollector:
    """Prometheus view of the chains, read at scrape time so the call path pays nothing:
    failures, failovers, local rate-limit skips, breaker state and estimated cost."""

    def __init__(self, sources: MarketSources) -> None:
        self.sources = sources

    def describe(self) -> list[Any]:
        return []  # families are only known at scrape time

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        labels = ["chain", "provider"]
        families = {
            "failures": CounterMetricFamily("stockflow_provider_failures",
                                            "Failed or invalid provider answers", labels=labels),
            "failovers": CounterMetricFamily("stockflow_provider_failovers",
                                             "Times the next provider was tried", labels=labels),
            "skipped": CounterMetricFamily(
                "stockflow_provider_skipped",
                "Calls not made: breaker open or rate limited locally", labels=labels),
            "estimated_cost": GaugeMetricFamily("stockflow_provider_estimated_cost_usd",
                                                "Calls times cost per call", labels=labels),
        }
        breaker = GaugeMetricFamily("stockflow_provider_breaker_state",
                                    "0 closed, 1 half-open, 2 open", labels=labels)
        for row in self.sources.router.health() if self.sources.router else []:
            key = [row["chain"], row["provider"]]
            for name, family in families.items():
                family.add_metric(key, row[name])
            breaker.add_metric(key, BREAKER_STATES.get(row["breaker_state"], 0))
        yield from families.values()
        yield breaker
