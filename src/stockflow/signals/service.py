"""Use cases of the signal engine: current signals of a ticker, and backtests of a built-in or
user strategy on one ticker or many, each with its look-ahead checks."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from stockflow.core.ports import Clock
from stockflow.core.problems import invalid, not_found
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketReader
from stockflow.signals import backtest, grammar, lookahead, strategies
from stockflow.signals.config import SignalsSettings
from stockflow.signals.domain import Sentiment, Series, Track
from stockflow.signals.ports import SentimentStore, StrategyStore

MAX_CURVE = 500   # points of the equity curve an answer carries


def span(interval: Interval, bars: int) -> timedelta:
    """Calendar time that holds `bars` bars: nights, weekends and holidays included."""
    if interval is Interval.D1:
        return timedelta(days=int(bars * 1.5) + 10)
    return interval.delta * bars * 6


@dataclass(frozen=True)
class Plan:
    """What one backtest runs: a strategy as a function of (series, sentiment), and sizing."""

    name: str
    interval: str
    run: Callable[[Series, Sentiment], Track]
    direction: int = 1
    sizing: dict[str, Any] | None = None


class SignalService:
    def __init__(self, market: MarketReader, news: SentimentStore, saved: StrategyStore,
                 settings: SignalsSettings, clock: Clock) -> None:
        self.market, self.news, self.saved = market, news, saved
        self.settings, self.clock = settings, clock

    @property
    def interval(self) -> str:
        return self.settings.intervals[0]

    def ticker(self, raw: str) -> str:
        return self.market.instrument(raw).ticker  # 404 for an unknown ticker

    async def series(self, ticker: str, interval: str, start: datetime,
                     end: datetime) -> tuple[Series, Sentiment]:
        """Closed bars with start <= time and close <= end, and the news known by then."""
        iv = Interval(interval)
        bars = await self.market.bars(ticker, iv, start, end, 100_000)
        s = Series.of(ticker, interval, iv.delta, bars)
        done = s.closes <= np.datetime64(end.astimezone(UTC).replace(tzinfo=None), "us")
        s = s.cut(0, int(done.sum()))   # a bar still open has no close yet
        news = await self.news.between(ticker, start, end)
        return s, news

    async def current(self, ticker: str) -> dict[str, Any]:
        """Every built-in strategy's signal at the last closed bar, and the ensemble."""
        ticker = self.ticker(ticker)
        iv, now = Interval(self.interval), self.clock.now()
        s, news = await self.series(ticker, iv.value, now - span(iv, self.settings.history_bars),
                                    now)
        return current_body(s, news)

    # -- saved strategies -----------------------------------------------------------------
    async def save(self, owner: str, doc: dict[str, Any]) -> dict[str, Any]:
        grammar.validate(doc)
        if await self.saved.count(owner) >= self.settings.max_strategies_per_owner:
            raise invalid(f"an account keeps at most {self.settings.max_strategies_per_owner} "
                          "strategies; delete one first")
        strategy_id = str(uuid.uuid4())
        await self.saved.add(owner, strategy_id, doc, self.clock.now())
        found = await self.saved.get(owner, strategy_id)
        assert found is not None
        return found

    async def strategy(self, owner: str, strategy_id: str) -> dict[str, Any]:
        found = await self.saved.get(owner, strategy_id)
        if found is None:
            raise not_found("strategy", strategy_id)
        return found

    async def strategies(self, owner: str) -> list[dict[str, Any]]:
        return await self.saved.list(owner)

    async def delete(self, owner: str, strategy_id: str) -> None:
        if not await self.saved.delete(owner, strategy_id):
            raise not_found("strategy", strategy_id)

    # -- backtests ------------------------------------------------------------------------
    def builtin(self, name: str) -> Plan:
        if name not in strategies.NAMES:
            raise invalid(f"unknown strategy {name!r}; built-in strategies: "
                          f"{', '.join(strategies.NAMES)}",
                          [{"loc": ["query", "strategy"], "msg": "unknown strategy",
                            "input": name}])
        return Plan(name, self.interval, strategies.one(name))

    def user(self, doc: dict[str, Any], name: str) -> Plan:
        doc = grammar.validate(doc)
        compiled = grammar.Compiled(doc, name)
        return Plan(name, doc.get("interval", "1d"), lambda s, _news: compiled.track(s),
                    -1 if doc.get("direction") == "short" else 1, doc.get("sizing"))

    async def plan_named(self, name: str, owner: str | None) -> Plan:
        """A built-in strategy, or a saved one of `owner` by id (others' are not found)."""
        if name in strategies.NAMES:
            return self.builtin(name)
        found = await self.saved.get(owner, name) if owner else None
        if found is None:
            return self.builtin(name)   # the 422 listing the built-ins
        return self.user(found["document"], f"user:{found['id']}")

    async def backtest(self, plan: Plan, tickers: Sequence[str], start: datetime | None,
                       end: datetime | None, *, weighting: str = "equal",
                       commission_bps: float | None = None,
                       slippage_bps: float | None = None) -> dict[str, Any]:
        st = self.settings
        start, end = aware(start), aware(end)
        if not 1 <= len(set(tickers)) <= st.max_tickers:
            raise invalid(f"name 1 to {st.max_tickers} tickers")
        tickers = list(dict.fromkeys(self.ticker(t) for t in tickers))
        end = end or self.clock.now()
        start = start or end - timedelta(days=365 * 5)
        if start >= end:
            raise invalid("start must be before end")
        iv = Interval(plan.interval)
        costs = backtest.Costs(st.commission_bps if commission_bps is None else commission_bps,
                               st.slippage_bps if slippage_bps is None else slippage_bps)
        runs = {t: await self._one(plan, t, iv, start, end) for t in tickers}
        return assemble(plan, runs, costs, weighting, start, end)

    async def _one(self, plan: Plan, ticker: str, iv: Interval, start: datetime,
                   end: datetime) -> dict[str, Any]:
        st = self.settings
        longest = st.warmup_bars + st.warmup_check_bars
        s, news = await self.series(ticker, iv.value, start - span(iv, longest), end)
        first = int(np.searchsorted(s.starts, np.datetime64(
            start.astimezone(UTC).replace(tzinfo=None), "us")))
        if len(s) - first < 2:
            raise invalid(f"{ticker} has fewer than 2 {iv.value} bars between start and end")
        lo = max(0, first - st.warmup_bars)
        extra = lo - max(0, first - longest)

        def fn(x: Series) -> Track:
            return plan.run(x, news)

        s_run = s.cut(lo)
        track = fn(s_run)
        window = first - lo
        checks = {"truncation": lookahead.truncation(fn, s_run, track, window,
                                                     st.lookahead_samples),
                  "warmup": lookahead.warmup(fn, s.cut(lo - extra), extra, window, track)}
        lookahead.require(checks)
        weights = backtest.positions(track.action, plan.direction) * sizing(plan.sizing, s_run)
        return {"series": s_run.cut(window), "track": track, "weights": weights[window:],
                "window": window, "checks": checks}


def aware(t: datetime | None) -> datetime | None:
    """Query times without a zone are UTC."""
    return t if t is None or t.tzinfo else t.replace(tzinfo=UTC)


def sizing(spec: dict[str, Any] | None, s: Series) -> np.ndarray:
    """The fraction of equity a position takes at each close (known at that close)."""
    if not spec or spec["type"] == "fixed":
        return np.full(len(s), float((spec or {}).get("fraction", 1.0)))
    look = int(spec.get("lookback", 20))
    r = np.concatenate(([np.nan], np.diff(np.log(s.close))))
    import talib

    vol = talib.STDDEV(r, look, 1.0) * np.sqrt(backtest.PERIODS_PER_YEAR.get(s.interval, 252))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.minimum(float(spec.get("max_fraction", 1.0)), spec["target"] / vol)
    return np.nan_to_num(f, nan=0.0, posinf=0.0)


def current_body(s: Series, news: Sentiment) -> dict[str, Any]:
    if len(s) == 0:
        raise not_found("closed bars for", s.ticker)
    tracks = strategies.run_all(s, news)
    last = len(s) - 1
    ensemble = tracks.pop(strategies.ENSEMBLE).at(last)
    return {"ticker": s.ticker, "as_of": s.close_time(last).isoformat(),
            "interval": s.interval, "bar_time": s.time(last).isoformat(),
            "signals": [t.at(last) for t in tracks.values()], "ensemble": ensemble}


def assemble(plan: Plan, runs: dict[str, dict[str, Any]], costs: backtest.Costs,
             weighting: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The backtest answer: runs aligned on the bars every ticker has, weighted, measured."""
    tickers = list(runs)
    common = runs[tickers[0]]["series"].starts
    for t in tickers[1:]:
        common = np.intersect1d(common, runs[t]["series"].starts)
    if len(common) < 2:
        raise invalid("the tickers share fewer than 2 bars between start and end")
    pick = {t: np.searchsorted(r["series"].starts, common) for t, r in runs.items()}
    o = np.stack([runs[t]["series"].open[pick[t]] for t in tickers])
    c = np.stack([runs[t]["series"].close[pick[t]] for t in tickers])
    w = np.stack([runs[t]["weights"][pick[t]] for t in tickers])
    if weighting == "equal":
        w = w / len(tickers)
    else:   # signal-weighted: capital shared by the positions held, in proportion to their size
        w = w / np.maximum(1.0, np.abs(w).sum(axis=0))
    first = runs[tickers[0]]["series"]
    i0, i1 = pick[tickers[0]][0], pick[tickers[0]][-1]
    years = (first.close_time(int(i1)) - first.time(int(i0))).days / 365.25
    out = backtest.run(o, c, w, costs, plan.interval, years)
    times = common.astype("datetime64[us]")
    step = max(1, len(times) // MAX_CURVE)
    curve = [{"time": _iso(times[i]), "equity": round(float(out["equity"][i]), 6)}
             for i in range(0, len(times), step)]
    body: dict[str, Any] = {
        "strategy": plan.name, "tickers": tickers, "interval": plan.interval,
        "start": _iso(times[0]), "end": _iso(times[-1]), "bars": len(times),
        "weighting": weighting if len(tickers) > 1 else "single",
        "fills": "signal at bar close, filled at the next bar's open",
        "costs": {"commission_bps": costs.commission_bps, "slippage_bps": costs.slippage_bps},
        "metrics": backtest.clean({"strategy": out["strategy"],
                                   "buy_and_hold": out["buy_and_hold"]}),
        "checks": {t: r["checks"] for t, r in runs.items()},
        "equity": curve,
    }
    return body


def _iso(x: np.datetime64) -> str:
    return x.astype("datetime64[us]").item().replace(tzinfo=UTC).isoformat()
