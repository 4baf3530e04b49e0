"""Prometheus metrics, one registry per container so several apps can live in one test process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from stockflow.core.httpmetrics import HttpMetrics, PlainCounter

PROVIDER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        # Updated on every request: plain numbers, exposed at scrape time (see httpmetrics).
        self.http = HttpMetrics(LATENCY_BUCKETS, registry=r)
        # Counted on the quote routes' every request, hence plain numbers too.
        self.cache_hits = PlainCounter("stockflow_cache_hits", "Cache hits", ["cache"], registry=r)
        self.cache_misses = PlainCounter("stockflow_cache_misses", "Cache misses", ["cache"],
                                         registry=r)
        self.events_published = Counter("stockflow_bus_published", "Events published",
                                        ["topic"], registry=r)
        self.events_handled = Counter("stockflow_bus_handled", "Events handled",
                                      ["topic", "group"], registry=r)
        self.events_retried = Counter("stockflow_bus_retried", "Handler retries",
                                      ["topic", "group"], registry=r)
        self.events_dead = Counter("stockflow_bus_dead_lettered", "Events dead-lettered",
                                   ["topic", "group"], registry=r)
        self.events_redelivered = Counter("stockflow_bus_redelivered",
                                          "Events delivered again after a consumer died or "
                                          "restarted without acknowledging them",
                                          ["topic", "group"], registry=r)
        self.bus_consumer_lag = Gauge("stockflow_bus_consumer_lag",
                                      "Events of a topic the group has not acknowledged yet "
                                      "(not yet delivered + delivered but unacknowledged)",
                                      ["topic", "group"], registry=r)
        self.pubsub_dropped = Counter("stockflow_pubsub_dropped",
                                      "Pub/sub messages dropped because a subscriber fell behind",
                                      registry=r)
        self.bars_backfilled = Counter("stockflow_backfill_bars", "Bars written by backfill",
                                       ["interval"], registry=r)
        self.quotes_generated = Counter("stockflow_quotes_generated",
                                        "Live quotes produced by providers", ["provider"],
                                        registry=r)
        self.stale_quotes_served = Counter(
            "stockflow_quotes_stale_served",
            "Last-known quotes served marked stale because every provider failed", registry=r)
        self.provider_calls = Histogram(
            "stockflow_provider_call_seconds",
            "Provider calls by chain, provider and outcome (ok or error), with latency",
            ["chain", "provider", "outcome"], buckets=PROVIDER_BUCKETS, registry=r)
        self.ws_clients = Gauge("stockflow_ws_clients", "Connected WebSocket clients",
                                ["stream"], registry=r)
        self.ws_dropped = Counter("stockflow_ws_conflated",
                                  "Updates replaced by a newer one before a slow client read them",
                                  ["stream"], registry=r)
        self.ready = Gauge("stockflow_ready", "1 when storage answers", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
