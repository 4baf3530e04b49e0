"""Where each watched ticker's ticks come from: a vendor's stream when one is switched on, else
its asset class's provider chain polled by the `quote-ingestion` job (every 15 s in market
hours), else the simulated market's one-second ticks. Assembled from the container at start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stockflow.core.ports import MarketDataProvider
from stockflow.market.providers import ProviderConfigError, enabled_vendors
from stockflow.pipeline.sources import ProviderQuoteSource, SimulatedTickSource
from stockflow.pipeline.streams import StreamIngestion
from stockflow.pipeline.workers import RAW, RAW_DLQ, IngestionWorker


@dataclass
class IngestionPlan:
    streams: list[StreamIngestion] = field(default_factory=list)
    polled: dict[str, tuple[MarketDataProvider, list[str]]] = field(default_factory=dict)
    simulated: list[str] = field(default_factory=list)


def watched_tickers(c: Any) -> list[str]:
    watched = {t.upper() for t in c.settings.ingestion.tickers}
    return [i.ticker for i in c.market.universe if not watched or i.ticker in watched]


def plan_ingestion(c: Any) -> IngestionPlan:
    plan = IngestionPlan()
    tickers = watched_tickers(c)
    for name, conf in enabled_vendors(c.settings).items():
        if conf.stream:
            stream, covered = _stream(c, name, conf, tickers)
            plan.streams.append(stream)
            tickers = [t for t in tickers if t not in covered]
    router = c.sources.router
    for t in tickers:
        chain = router.route(t) if router is not None else None
        if chain is None or chain.name not in c.sources.chains:
            plan.simulated.append(t)
        else:
            plan.polled.setdefault(chain.name, (chain, []))[1].append(t)
    return plan


def ingestion_workers(c: Any, plan: IngestionPlan) -> dict[str, Any]:
    """The always-on ingestion workers: the simulated ticks and the vendors' streams. Polling
    real providers is a scheduled job (`quote_poller`), so it runs once across instances."""
    built: dict[str, Any] = {s.name: s for s in plan.streams}
    router = c.sources.router
    sim = router.reference if router is not None else c.provider
    if plan.simulated and hasattr(sim, "quote_sync"):
        built["ingestion"] = IngestionWorker(
            SimulatedTickSource(sim, plan.simulated), c.bus, c.clock, c.pipeline_metrics,
            interval=c.settings.simulator.tick_interval_seconds)
    return built


def quote_poller(c: Any, plan: IngestionPlan) -> IngestionWorker | None:
    """What the `quote-ingestion` job runs: one poll of every chain for the watched tickers in
    session, published to market.ticks.raw. None when no real provider is on."""
    if not plan.polled:
        return None
    exchange = {i.ticker: i.exchange for i in c.market.universe}

    def is_open(ticker: str, at: datetime) -> bool:
        return c.calendars.is_trading_time(exchange[ticker], at)  # CRYPTO: always

    source = ProviderQuoteSource(plan.polled, is_open=is_open,
                                 market_hours_only=c.settings.ingestion.market_hours_only)
    return IngestionWorker(source, c.bus, c.clock, c.pipeline_metrics,
                           name="quote-ingestion")


def _stream(c: Any, name: str, conf: Any, tickers: list[str]
            ) -> tuple[StreamIngestion, set[str]]:
    from stockflow.adapters.providers.markets import is_crypto_pair, nse_symbol

    feed: Any
    if name == "binance":
        from stockflow.adapters.providers.binance.stream import BinanceTradeFeed

        covered = [t for t in tickers if is_crypto_pair(t)]
        feed = BinanceTradeFeed(covered, base_url=conf.stream_url)
    elif name == "dhan":
        from stockflow.adapters.providers.dhan.stream import DhanLiveFeed

        covered = [t for t in tickers if nse_symbol(t) is not None]
        assert conf.api_key is not None  # enabled_vendors requires Dhan's key
        feed = DhanLiveFeed(covered, token=conf.api_key, client_id=conf.client_id or "",
                            base_url=conf.stream_url)
    else:
        raise ProviderConfigError(f"provider {name} has no stream; only binance and dhan")
    stream = StreamIngestion(feed, c.bus, c.clock, c.pipeline_metrics, raw_topic=RAW,
                             dlq_topic=RAW_DLQ)
    return stream, set(covered)
