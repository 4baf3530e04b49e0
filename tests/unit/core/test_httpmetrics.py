"""HTTP metrics kept as plain numbers expose the series the prometheus_client Counter and
Histogram exposed: the same names, labels, cumulative buckets, sums and counts."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stockflow.core.httpmetrics import HttpMetrics, PlainCounter
from stockflow.core.metrics import LATENCY_BUCKETS

OBSERVATIONS = [("GET", "/v1/quotes/{ticker}", 200, 0.0004),
                ("GET", "/v1/quotes/{ticker}", 200, 0.0005),  # on a bound: le is inclusive
                ("GET", "/v1/quotes/{ticker}", 404, 0.003),
                ("GET", "/v1/quotes", 200, 0.02),
                ("POST", "/v1/quotes/{ticker}", 405, 7.5)]  # above the last bound: +Inf only


def _samples(registry: CollectorRegistry) -> dict:
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if not s.name.endswith("_created")}


def test_exposition_matches_prometheus_client():
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    http = HttpMetrics(LATENCY_BUCKETS, registry=ours)
    requests = Counter("stockflow_http_requests", "HTTP requests", ["method", "route", "status"],
                       registry=theirs)
    latency = Histogram("stockflow_http_request_duration_seconds", "HTTP request latency",
                        ["method", "route"], buckets=LATENCY_BUCKETS, registry=theirs)
    for method, route, status, seconds in OBSERVATIONS:
        http.observe(method, route, status, seconds)
        requests.labels(method, route, str(status)).inc()
        latency.labels(method, route).observe(seconds)
    assert _samples(ours) == _samples(theirs)
    assert "stockflow_http_requests_created" in generate_latest(ours).decode()


def test_plain_counter_exposes_what_a_counter_exposes():
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    plain = PlainCounter("stockflow_cache_hits", "Cache hits", ["cache"], registry=ours)
    stock = Counter("stockflow_cache_hits", "Cache hits", ["cache"], registry=theirs)
    for cache, amount in [("quote", 1), ("quote", 49), ("bars", 2.5)]:
        plain.labels(cache).inc(amount)
        stock.labels(cache).inc(amount)
    assert _samples(ours) == _samples(theirs)
    assert plain.labels("quote").value == 50
    def lines(registry: CollectorRegistry) -> list[str]:  # the text, less creation times
        return [line.rpartition(" ")[0] if "_created{" in line else line
                for line in generate_latest(registry).decode().splitlines()]

    assert lines(ours) == lines(theirs)


def test_count():
    http = HttpMetrics(LATENCY_BUCKETS, registry=CollectorRegistry())
    assert http.count("GET", "/x", 200) == 0
    http.observe("GET", "/x", 200, 0.1)
    assert http.count("GET", "/x", 200) == 1
