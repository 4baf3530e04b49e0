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


class _Count:
    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        self.value += amount


class PlainCounter(Collector):
    """A labelled counter for the request path, exposed as prometheus_client's Counter
    exposes it (`<name>_total` and `<name>_created`): `labels(...)` returns a child whose
    `inc` is one addition, where the library's takes a lock and makes four calls.

    For counters updated on the event-loop thread only (see the module's note on scrapes)."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str],
                 registry: CollectorRegistry) -> None:
        self._name, self._doc, self._labelnames = name, documentation, tuple(labelnames)
        self._children: dict[tuple[str, ...], _Count] = {}
        registry.register(self)

    def labels(self, *values: str) -> _Count:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = _Count()
        return child

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for values, child in list(self._children.items()):
            family.add_metric(values, child.value, created=child.created)
        yield family

    def _family(self) -> CounterMetricFamily:
        return CounterMetricFamily(self._name, self._doc, labels=self._labelnames)
