"""Which fundamentals sources run, from settings: one table row per source (the adapter's
registry path, how to build it, its token bucket), so no code branches on vendor names.
Adapters are reached through `core.registry.load`, never imported by the context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from stockflow.analysis.config import AnalysisSettings, VendorSettings
from stockflow.analysis.sources import FundamentalsChain
from stockflow.core.ports import Clock
from stockflow.core.registry import load
from stockflow.core.resilience.chain import EventHook
from stockflow.core.resilience.limiter import TokenBucket


@dataclass(frozen=True)
class SourceRow:
    target: str                                   # "module:class" of the adapter
    # (analysis settings, root settings, clock) -> the adapter's (args, kwargs)
    options: Callable[[Any, Any, Clock], tuple[tuple[Any, ...], dict[str, Any]]]
    wanted: Callable[[Any, Any], bool]            # (analysis settings, root settings)
    # (capacity, calls per second) of the member's token bucket, from the analysis settings.
    bucket: Callable[[Any], tuple[float, float]] | None = None


def _http(v: VendorSettings) -> dict[str, Any]:
    return {"base_url": v.base_url, "timeout": v.timeout}


def _keyed(name: str) -> Callable[[Any, Any], bool]:
    def wanted(s: AnalysisSettings, _root: Any) -> bool:
        v = getattr(s, name)
        return v.enabled and v.api_key is not None
    return wanted


_PROVIDERS = "stockflow.adapters.providers"
SOURCES: dict[str, SourceRow] = {
    "sec": SourceRow(
        f"{_PROVIDERS}.sec.provider:SecEdgarFundamentals",
        lambda s, _r, _c: ((s.sec.user_agent,), _http(s.sec) | {
            "tickers_url": s.sec.tickers_url, "max_per_second": s.sec.max_per_second}),
        lambda s, _r: s.sec.enabled and bool(s.sec.user_agent),
        bucket=lambda s: (s.sec.max_per_second, s.sec.max_per_second)),  # fair access
    "alphavantage": SourceRow(
        f"{_PROVIDERS}.alphavantage.fundamentals:AlphaVantageFundamentals",
        lambda s, _r, _c: ((s.alphavantage.api_key,), _http(s.alphavantage)),
        _keyed("alphavantage"), bucket=lambda _s: (5, 5 / 60)),  # the free plan: 5 calls a minute
    "polygon": SourceRow(
        f"{_PROVIDERS}.polygon.fundamentals:PolygonFundamentals",
        lambda s, _r, _c: ((s.polygon.api_key,), _http(s.polygon)),
        _keyed("polygon"), bucket=lambda _s: (5, 5 / 60)),  # the free plan: 5 calls a minute
    "yahoo": SourceRow(
        f"{_PROVIDERS}.yahoo.fundamentals:YahooFundamentals",
        lambda s, _r, _c: ((), _http(s.yahoo)),
        lambda s, _r: s.yahoo.enabled, bucket=lambda _s: (5, 2)),
    "simulated": SourceRow(
        f"{_PROVIDERS}.simulated.fundamentals:SimulatedFundamentals",
        # Quarters up to yesterday of the clock: no statement of a period not yet over.
        lambda _s, root, clock: ((root.simulator.seed,), {
            "anchor": clock.now().date() - timedelta(days=1)}),
        lambda s, _r: s.simulated),
}


def build_chain(root: Any, clock: Clock, on_event: EventHook | None = None,
                table: dict[str, SourceRow] | None = None) -> FundamentalsChain | None:
    """The chain of the configured sources in `analysis.sources` order; None when none is on."""
    s: AnalysisSettings = root.analysis
    rows = table or SOURCES
    members, limiters = [], {}
    for name in s.sources:
        row = rows.get(name)
        if row is None:
            raise ValueError(f"unknown fundamentals source {name!r}; known: {sorted(rows)}")
        if not row.wanted(s, root):
            continue
        args, kwargs = row.options(s, root, clock)
        members.append(load(row.target)(*args, **kwargs))
        if row.bucket is not None:
            capacity, rate = row.bucket(s)
            limiters[members[-1].name] = TokenBucket(capacity, rate, clock=clock, name=name)
    if not members:
        return None
    return FundamentalsChain("fundamentals", members, clock=clock, limiters=limiters,
                             on_event=on_event)


async def close_chain(chain: FundamentalsChain | None) -> None:
    for member in chain.providers if chain is not None else ():
        closer = getattr(member, "aclose", None)
        if closer is not None:
            await closer()
