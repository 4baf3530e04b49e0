"""The evaluator: one observation in, the rules it fired out, through the index and the state port.

Values of a stream come from its events: a quote gives `price`, `pct_change:<window>` (from the
quotes this process has seen over the window) and `volume_ratio:<days>` (session volume over the
average daily volume that `alerts.baselines` computes from daily bars); indicator, fundamental
and prediction events give their metric by name. Event conditions (news, signal, market status) match outright.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockflow.alerts.conditions import (
    Condition,
    MarketStatusCondition,
    NewsCondition,
    SignalCondition,
    Source,
)
from stockflow.alerts.domain import (
    AlertRule,
    FiringPolicy,
    Outcome,
    RuleState,
    RuleStatus,
    step_event,
    step_threshold,
)
from stockflow.alerts.index import IndexedRule, RuleIndex, Stream
from stockflow.alerts.ports import AlertStateStore

EventCondition = NewsCondition | SignalCondition | MarketStatusCondition
_LOAD_CHUNK = 10_000     # states read per call when indexing: one MGET stays a few MB


@dataclass(frozen=True, slots=True)
class QuoteSeen:
    ticker: str
    price: float
    volume: float | None
    event_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Fired:
    rule_id: str
    event_id: str
    metric: str
    value: float | None
    previous: float | None
    at: datetime


class PriceWindow:
    """Recent (time, price) of one ticker, kept as long as the longest window watched."""

    __slots__ = ("samples", "span")

    def __init__(self, span_seconds: int) -> None:
        self.samples: deque[tuple[float, float]] = deque()
        self.span = span_seconds

    def add(self, ts: float, price: float) -> None:
        self.samples.append((ts, price))
        while self.samples and self.samples[0][0] < ts - self.span:
            self.samples.popleft()

    def pct_change(self, ts: float, window: int) -> float | None:
        """Percent move from the oldest sample inside the window; None until one exists."""
        for t, p in self.samples:
            if t >= ts - window:
                return (self.samples[-1][1] / p - 1.0) * 100.0 if p else None
        return None


class AlertEvaluator:
    """Keeps the index of active rules and turns observations into firings."""

    def __init__(self, state: AlertStateStore) -> None:
        self.state = state
        self.index = RuleIndex()
        self._events: dict[tuple[Source, str], dict[str, tuple[EventCondition, FiringPolicy]]] = {}
        self._event_states: dict[str, RuleState] = {}
        self._windows: dict[str, PriceWindow] = {}
        self._baselines: dict[tuple[str, int], float] = {}
        self._volume_pairs: set[tuple[str, int]] = set()    # what volume_spike rules need
        # Changes not yet written to the state port (see commit/rollback).
        self._pending: dict[str, RuleState] = {}
        self._before: dict[str, RuleState] = {}
        self._dirty: dict[str, float] = {}
        self._last_before: dict[str, tuple[Stream, float | None]] = {}

    # -- rules ---------------------------------------------------------------------------------

    async def add_rules(self, rules: list[AlertRule]) -> None:
        """Index active rules (at start from storage, later on rule CRUD events)."""
        states: dict[str, RuleState] = {}
        for i in range(0, len(rules), _LOAD_CHUNK):
            states.update(await self.state.load([r.id for r in rules[i:i + _LOAD_CHUNK]]))
        for rule in rules:
            self.remove_rule(rule.id)
            if rule.status is RuleStatus.ACTIVE:
                self._add(rule, states.get(rule.id, RuleState()))

    def _add(self, rule: AlertRule, state: RuleState) -> None:
        cond: Condition = rule.condition
        threshold = cond.threshold()
        if threshold is None:
            self._events.setdefault((cond.source, cond.key), {})[rule.id] = (cond, rule.policy)
            self._event_states[rule.id] = state
            return
        self.index.upsert(IndexedRule(rule.id, (cond.key, threshold.metric), threshold,
                                      rule.hysteresis, rule.policy), state)
        if threshold.metric.startswith("volume_ratio:"):
            self._volume_pairs.add((cond.key, int(threshold.metric.split(":", 1)[1])))
        if threshold.metric.startswith("pct_change:"):
            window = int(threshold.metric.split(":", 1)[1])
            pw = self._windows.setdefault(cond.key, PriceWindow(window))
            pw.span = max(pw.span, window)

    def remove_rule(self, rule_id: str) -> None:
        self.index.remove(rule_id)
        self._event_states.pop(rule_id, None)
        for rules in self._events.values():
            rules.pop(rule_id, None)

    def volume_pairs(self) -> list[tuple[str, int]]:
        """The (ticker, lookback days) whose average daily volume some rule has needed."""
        return list(self._volume_pairs)

    def set_volume_baseline(self, ticker: str, days: int, average_volume: float) -> None:
        if average_volume > 0:
            self._baselines[(ticker, days)] = average_volume

    # -- observations --------------------------------------------------------------------------

    # -- the unit of work ----------------------------------------------------------------------
    # With commit=False the new states stay here until the caller has recorded the firings
    # (history + outbox) and calls commit(); after a failure rollback() puts the index back, so
    # the redelivered events fire again and the repository's unique key drops what was written.

    async def commit(self) -> None:
        pending, self._pending = self._pending, {}
        dirty, self._dirty = self._dirty, {}
        self._before.clear()
        self._last_before.clear()
        if pending:
            await self.state.save(pending)
        if dirty:
            await self.state.remember(dirty)

    def rollback(self) -> None:
        for rule_id, old in self._before.items():
            if rule_id in self.index:
                self.index.place(rule_id, old)
            elif rule_id in self._event_states:
                self._event_states[rule_id] = old
        for stream, last in self._last_before.values():
            stream.last = last
        self._pending.clear()
        self._before.clear()
        self._dirty.clear()
        self._last_before.clear()

    def _changed(self, rule_id: str, old: RuleState, new: RuleState) -> None:
        self._before.setdefault(rule_id, old)
        self._pending[rule_id] = new

    # -- observations --------------------------------------------------------------------------

    async def on_quote(self, ticker: str, price: float, volume: float | None, event_id: str,
                       at: datetime) -> list[Fired]:
        return await self.on_quotes([QuoteSeen(ticker, price, volume, event_id, at)])

    async def on_quotes(self, quotes: Sequence[QuoteSeen], *, commit: bool = True
                        ) -> list[Fired]:
        """A batch of quotes in order (a bus batch); the state port is written once at the end."""
        if self.index.unloaded:
            await self._load_previous()
        streams = self.index.streams
        windows = self._windows
        fired: list[Fired] = []
        dirty = self._dirty
        before = self._last_before
        for q in quotes:
            watched = streams(q.ticker)
            if not watched:
                continue
            window = windows.get(q.ticker)
            if window is not None:
                window.add(q.at.timestamp(), q.price)
            for metric, stream in watched.items():
                value = q.price if metric == "price" else self._quote_value(
                    q.ticker, metric, q.volume, window, q.at)
                if value is None:
                    continue
                # The hot path, inlined: most quotes end at the stream's gap check.
                prev, stream.last = stream.last, value
                if stream.name not in dirty:
                    before[stream.name] = (stream, prev)
                dirty[stream.name] = value
                work = stream.candidates(prev, value)
                if work:
                    fired += self._step_all(work, metric, value, prev, q.event_id, q.at)
        if commit:
            await self.commit()
        return fired

    def _quote_value(self, ticker: str, metric: str, volume: float | None,
                     window: PriceWindow | None, at: datetime) -> float | None:
        name, _, arg = metric.partition(":")
        if name == "pct_change" and window is not None:
            return window.pct_change(at.timestamp(), int(arg))
        if name == "volume_ratio" and volume is not None:
            base = self._baselines.get((ticker, int(arg)))
            return volume / base if base else None
        return None

    async def on_values(self, key: str, values: Mapping[str, float], event_id: str,
                        at: datetime, *, commit: bool = True) -> list[Fired]:
        """Named numeric values of one stream key (an indicator's, a filing's, a forecast's)."""
        watched = self.index.streams(key)
        if not watched:
            return []
        if self.index.unloaded:
            await self._load_previous()
        fired: list[Fired] = []
        for metric, value in values.items():
            stream = watched.get(metric)
            if stream is not None and math.isfinite(value):
                prev, stream.last = stream.last, value
                self._last_before.setdefault(stream.name, (stream, prev))
                self._dirty[stream.name] = value
                work = stream.candidates(prev, value)
                if work:
                    fired += self._step_all(work, metric, value, prev, event_id, at)
        if commit:
            await self.commit()
        return fired

    async def _load_previous(self) -> None:
        """Read the previous values of streams new to this process, in one call."""
        fresh, self.index.unloaded = self.index.unloaded, []
        found = await self.state.previous([s.name for s in fresh])
        for stream in fresh:
            stream.last = found.get(stream.name)

    def _step_all(self, work: list[str], metric: str, value: float, prev: float | None,
                        event_id: str, at: datetime) -> list[Fired]:
        fired: list[Fired] = []
        for rule_id in work:
            rule = self.index.get(rule_id)
            if rule is None:
                continue
            old = rule.state
            new, outcome = step_threshold(rule.threshold, rule.hysteresis, rule.policy, old,
                                          value, prev, event_id, at)
            if new != old:
                self._changed(rule_id, old, new)
                self.index.place(rule_id, new)
            if outcome is Outcome.FIRED:
                fired.append(Fired(rule_id, event_id, metric, value, prev, at))
        return fired

    async def on_event(self, source: Source, key: str, event_id: str, at: datetime, *,
                       commit: bool = True, **facts: Any) -> list[Fired]:
        """A news article, a signal or a market open/close; `facts` go to the condition."""
        rules = self._events.get((source, key))
        if not rules:
            return []
        hits = [(rid, pol) for rid, (cond, pol) in rules.items() if _matches(cond, facts)]
        if not hits:
            return []
        # A done (one-shot) rule stays listed, answering NOTHING, until rule CRUD removes it:
        # taking it out here could not be undone by rollback().
        fired: list[Fired] = []
        for rule_id, policy in hits:
            old = self._event_states.get(rule_id, RuleState())
            new, outcome = step_event(policy, old, event_id, at)
            if new != old:
                self._changed(rule_id, old, new)
                self._event_states[rule_id] = new
            if outcome is Outcome.FIRED:
                fired.append(Fired(rule_id, event_id, source.value, facts.get("value"), None, at))
        if commit:
            await self.commit()
        return fired


def _matches(cond: EventCondition, facts: Mapping[str, Any]) -> bool:
    if isinstance(cond, NewsCondition):
        return cond.matches(facts.get("sentiment"), frozenset(facts.get("event_types", ())))
    if isinstance(cond, SignalCondition):
        return cond.matches(str(facts.get("name", "")), str(facts.get("direction", "")))
    return facts.get("status") == cond.on
