"""HTTP request counts and latencies per route template: plain numbers on the request path,
turned into Prometheus samples only when /metrics is scraped.

prometheus_client's Counter and Histogram lock and make several Python calls per update; on the
quote routes that was about 5 µs a request, a fifth of the whole budget. The edge middleware
updates these from the event-loop thread only, so plain updates lose nothing; a scrape from
another thread may see a request counted a moment before its latency.
"""

from __future__ import annotations

import itertools
import math
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

REQUESTS = "stockflow_http_requests"
LATENCY = "stockflow_http_request_duration_seconds"


class _Series:
    __slots__ = ("buckets", "count", "created", "sum")

    def __init__(self, buckets: int) -> None:
        self.count = 0
        self.sum = 0.0
        self.buckets = [0] * buckets  # per bucket, not cumulative; the last one is +Inf
        self.created = time.time()


class HttpMetrics(Collector):
    """`stockflow_http_requests_total{method,route,status}` and
    `stockflow_http_request_duration_seconds{method,route}`, as the Counter and Histogram
    they replace exposed them (less the histogram's `_created` sample)."""

    def __init__(self, buckets: Sequence[float], registry: CollectorRegistry) -> None:
        self._bounds = tuple(sorted(buckets))
        self._series: dict[tuple[str, str, int], _Series] = {}
        registry.register(self)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[(method, route, status)] = _Series(len(self._bounds) + 1)
        series.count += 1
        series.sum += seconds
        # bisect_left: the first bound >= seconds, i.e. Prometheus's "le" bucket.
        series.buckets[bisect_left(self._bounds, seconds)] += 1

    def count(self, method: str, route: str, status: int) -> int:
        series = self._series.get((method, route, status))
        return series.count if series else 0

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterator[Metric]:
        requests, latency = self._families()
        by_route: dict[tuple[str, str], tuple[float, list[int]]] = {}
        for (method, route, status), s in list(self._series.items()):
            requests.add_metric((method, route, str(status)), s.count, created=s.created)
            total, buckets = by_route.get((method, route), (0.0, [0] * len(s.buckets)))
            by_route[(method, route)] = (total + s.sum,
                                         [a + b for a, b in zip(buckets, s.buckets, strict=True)])
        edges = [floatToGoString(b) for b in (*self._bounds, math.inf)]
        for (method, route), (total, buckets) in by_route.items():
            cumulative = itertools.accumulate(buckets)
            latency.add_metric((method, route), list(zip(edges, cumulative, strict=True)), total)
        yield requests
        yield latency

    def _families(self) -> tuple[CounterMetricFamily, HistogramMetricFamily]:
        return (CounterMetricFamily(REQUESTS, "HTTP requests", labels=("method", "route", "status")),
                HistogramMetricFamily(LATENCY, "HTTP request latency", labels=("method", "route")))
