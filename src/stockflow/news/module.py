"""The news context (seed 002 §3): ingestion from simulated news, feeds, EDGAR and vendors;
de-duplication, entities, sentiment and events; listings, search, analysis of the caller's own
text and the news stream (search over the articles is the search context's, from its index). The `news` worker ingests and analyses; the `news` service serves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from stockflow.core.health import OK
from stockflow.core.module import ADMIN_SERVICE, ContextModule, ContextParts, Plan, Platform, Worker
from stockflow.core.registry import load
from stockflow.news.config import NewsSettings

SERVICE = "news"
WORKER = "news"
FEED_POLLER = "stockflow.adapters.news.feeds.poller:FeedPoller"
FEED_STATE = "stockflow.adapters.news.feeds.poller:FeedState"
# How each kind of feed is read: the poller's default parser, or EDGAR's.
FEED_PARSERS = {"rss": "stockflow.adapters.news.feeds.poller:generic_parser",
                "edgar": "stockflow.adapters.news.sec_edgar.parse:edgar_parser"}
# Vendors with a news endpoint: providers section → (adapter, needs a ticker per ask, the
# NewsSettings field that may hold its key instead).
VENDORS = {
    "polygon": ("stockflow.adapters.providers.polygon.news:PolygonNews", False, None),
    "alphavantage": ("stockflow.adapters.providers.alphavantage.news:AlphaVantageNews", False,
                     None),
    "finnhub": ("stockflow.adapters.providers.finnhub.news:FinnhubNews", True,
                "finnhub_api_key"),
}


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.core.lifecycle import OneShot, PeriodicTask
    from stockflow.market.ports import MarketReader
    from stockflow.news import tasks
    from stockflow.news.analysis import LazyAnalyser
    from stockflow.news.handlers import ArticleAnalysis
    from stockflow.news.ingest import Intake, NewsIngestor
    from stockflow.news.neardup import NearDuplicateIndex
    from stockflow.news.ports import ArticleReader, ArticleViews, NewsReader
    from stockflow.news.queries import NewsQueries
    from stockflow.news.repository import SqlArticleStore
    from stockflow.news.service import NewsService

    s: NewsSettings = p.settings.news
    market = p.ports.get(MarketReader)
    store = SqlArticleStore(p.db)
    index = NearDuplicateIndex(num_perm=s.minhash_permutations, bands=s.lsh_bands,
                               threshold=s.near_duplicate_threshold,
                               window=timedelta(hours=s.dedup_window_hours))
    analyser = LazyAnalyser(lambda: market.universe, s.sentiment_backend, s.sentiment_model_path)
    news = NewsService(store, analyser, index, p.clock, s)
    queries = NewsQueries(store, p.cache, p.clock, free_delay_seconds=s.free_delay_seconds,
                          cache_seconds=s.article_cache_seconds)
    intake = Intake(store, p.bus)
    ingestor = NewsIngestor(_sources(p, s, market), intake, p.clock)

    async def health() -> tuple[str, Any]:
        return OK, {"published": intake.counts.published,
                    "dead_lettered": intake.counts.dead_lettered,
                    "failing_sources": sorted(ingestor.errors)}

    def worker() -> Worker:
        analysis = ArticleAnalysis(news, p.bus, p.pubsub, intake)
        loop = PeriodicTask("news-ingest", s.loop_seconds, ingestor.run_once, p.clock)
        # Only the process that analyses needs the window's stories back after a restart.
        refill = OneShot("news-refill-index", news.refill_index)
        return Worker(WORKER, handlers=analysis.handlers(), loops=[refill, loop], unit=analysis)

    parts = ContextParts(
        "news", ports={NewsService: news, NewsQueries: queries, NewsIngestor: ingestor,
                       ArticleReader: store, ArticleViews: queries, NewsReader: queries},
        jobs=tasks.jobs(store, p.clock, retention_days=s.retention_days, cron=s.cleanup_cron),
        health={"news": health}, workers={WORKER: worker},
        on_stop=[*(_closers(ingestor))])
    _http(parts, p, plan)
    return parts


def _http(parts: ContextParts, p: Platform, plan: Plan) -> None:
    # Routes are imported only where they are served: a worker process needs no FastAPI.
    if plan.serves(ADMIN_SERVICE):
        from stockflow.news.api import admin_router

        parts.admin_routers.append(admin_router)
    if not plan.serves(SERVICE):
        return
    from stockflow.news import api, stream_api
    from stockflow.news.streaming import NewsHub

    hub = NewsHub(p.pubsub, p.metrics, heartbeat=p.settings.streams.heartbeat_seconds)
    parts.ports[NewsHub] = hub
    parts.background.append(hub)
    parts.routers += [api.router, stream_api.router]
    parts.guards += [*api.GUARDS, *stream_api.GUARDS]


def _sources(p: Platform, s: NewsSettings, market: Any) -> list[Any]:
    from stockflow.analysis.ports import QuarterlyResults
    from stockflow.core.resilience.chain import ResilientChain
    from stockflow.news.catalog import build_catalog
    from stockflow.news.simulated import SimulatedNews
    from stockflow.news.sources import FeedSource, SimulatedSource, VendorSource

    out: list[Any] = []
    if s.simulated and p.settings.simulator.enabled:
        def simulated() -> SimulatedNews:
            return SimulatedNews(s.simulated_seed, build_catalog(market.universe))

        out.append(SimulatedSource(
            _once(simulated), market, per_minute=s.simulated_articles_per_minute,
            backfill=timedelta(hours=s.simulated_backfill_hours),
            move_days=s.simulated_move_days, results=p.ports.find(QuarterlyResults)))
    pollers: dict[str, Any] = {}
    for f in s.feeds:
        if f.kind not in pollers:  # one pooled client per kind of feed
            pollers[f.kind] = load(FEED_POLLER)(
                p.clock, timeout=s.feed_timeout_s, max_backoff_s=s.feed_max_backoff_s,
                max_bytes=s.feed_max_bytes, user_agent=s.sec_user_agent,
                parser=load(FEED_PARSERS[f.kind]))
        state = load(FEED_STATE)(url=str(f.url), name=f.name, language=f.language,
                                 interval_s=f.poll_interval_s)
        out.append(FeedSource(f, pollers[f.kind], state))
    vendors = _vendors(p, s)
    if vendors:
        chain = ResilientChain("news", [v for v, _, _ in vendors], clock=p.clock,
                               limiters={v.name: b for v, _, b in vendors if b is not None})
        out += [VendorSource(v, chain, seconds=s.vendor_poll_seconds, needs_ticker=needs,
                             tickers=s.vendor_tickers) for v, needs, _ in vendors]
    return out


def _vendors(p: Platform, s: NewsSettings) -> list[tuple[Any, bool, Any]]:
    """The news vendors switched on in news.vendors that have a key (their providers section,
    or news.finnhub_api_key): (client, needs a ticker, its token bucket when the section sets
    a rate)."""
    from stockflow.core.resilience.limiter import TokenBucket

    out = []
    for name in s.vendors:
        path, needs_ticker, own_key = VENDORS[name]
        section = p.settings.providers.get(name)
        key = section.api_key if section is not None else None
        key = key or (getattr(s, own_key) if own_key else None)
        if section is not None and not section.enabled:
            continue
        base = section.base_url if section is not None else None
        client = load(path)(key, base_url=base)
        bucket = None
        if section is not None and section.rate is not None:
            bucket = TokenBucket(section.capacity or 1.0, section.rate, clock=p.clock,
                                 name=f"news:{name}")
        out.append((client, needs_ticker, bucket))
    return out


def _once(factory: Any) -> Any:
    made: list[Any] = []

    def get() -> Any:
        if not made:
            made.append(factory())
        return made[0]

    return get


def _closers(ingestor: Any) -> list[Any]:
    """Close the HTTP clients of the feeds and vendors when the process stops."""
    seen: dict[int, Any] = {}
    for source in ingestor.sources:
        for holder in (getattr(source, "poller", None), getattr(source, "vendor", None)):
            if holder is not None and hasattr(holder, "aclose"):
                seen[id(holder)] = holder.aclose
    return list(seen.values())


def _vendors_have_keys(settings: Any) -> None:
    """A vendor switched on for news without a key is a settings error, not a silent no-op."""
    for name in settings.news.vendors:
        section = settings.providers.get(name)
        own = VENDORS[name][2]
        if not ((section is not None and section.api_key) or (own and getattr(settings.news, own))):
            raise ValueError(f"news vendor {name} needs STOCKFLOW_PROVIDERS__{name.upper()}"
                             "__API_KEY" + (f" or STOCKFLOW_NEWS__{own.upper()}" if own else ""))


MODULE = ContextModule(
    name="news",
    build=build,
    settings={"news": NewsSettings},
    services=(SERVICE,),
    workers=(WORKER,),
    tables="stockflow.news.tables",
    migrations="stockflow.news.migrations",
    enabled=lambda settings: settings.news.enabled,
    resolve=_vendors_have_keys,
)
