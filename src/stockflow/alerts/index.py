"""The rule index: which rules one observation can change, in O(log n + matches).

Rules of one stream (a key such as a ticker, and a metric such as "price") sit in sorted arrays by
the value at which they next change: armed level rules by their level, armed crossing rules by
their level (queried by the interval between the previous and the new value), disarmed rules by
their re-arm point (level ∓ hysteresis), and crossing rules that have not yet seen a value in a
pending list that the next observation empties. A rule that fires or re-arms moves to its new
array, so a rule that stays put is never looked at again. The index only proposes candidates; the
pure `step_threshold` decides, so a stale index can cost a look, never a wrong notification.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from operator import itemgetter

from stockflow.alerts.conditions import Side, Threshold
from stockflow.alerts.domain import FiringPolicy, RuleState

_KEY = itemgetter(0)
StreamKey = tuple[str, str]          # (key, metric), e.g. ("AAPL", "price")
Slot = tuple[float, str]             # (sort value, rule id)


@dataclass(slots=True)
class IndexedRule:
    """What evaluation needs of a rule; small, because a million of these live in memory."""

    rule_id: str
    stream: StreamKey
    threshold: Threshold
    hysteresis: float
    policy: FiringPolicy
    bucket: str = ""
    slot: float = 0.0


_INF = float("inf")


@dataclass(slots=True)
class Stream:
    """The rules of one (key, metric), and what the evaluator remembers of its values."""

    fire_above: list[Slot] = field(default_factory=list)
    fire_below: list[Slot] = field(default_factory=list)
    cross_above: list[Slot] = field(default_factory=list)
    cross_below: list[Slot] = field(default_factory=list)
    rearm_above: list[Slot] = field(default_factory=list)
    rearm_below: list[Slot] = field(default_factory=list)
    pending: dict[str, None] = field(default_factory=dict)
    # The gap (lo, hi) between sort values in which no rule changes: a value inside it, coming
    # from inside it, costs two comparisons. Recomputed after any rule of the stream moved.
    lo: float = _INF
    hi: float = -_INF
    band_ok: bool = False
    name: str = ""                 # "<key>|<metric>", its name in the state port
    last: float | None = None      # the stream's previous value

    def size(self) -> int:
        return (len(self.fire_above) + len(self.fire_below) + len(self.cross_above)
                + len(self.cross_below) + len(self.rearm_above) + len(self.rearm_below)
                + len(self.pending))

    def _band(self, at: float) -> None:
        # A crossing level bounds the gap on both sides: a value may pass it going one way
        # (no candidate) and come back the other (a firing).
        hi = _INF
        for arr in (self.fire_above, self.rearm_below, self.cross_above, self.cross_below):
            i = bisect_left(arr, at, key=_KEY)
            if i < len(arr):
                hi = min(hi, arr[i][0])
        lo = -_INF
        for arr in (self.fire_below, self.rearm_above, self.cross_below, self.cross_above):
            i = bisect_right(arr, at, key=_KEY)
            if i:
                lo = max(lo, arr[i - 1][0])
        self.lo, self.hi, self.band_ok = lo, hi, True

    def candidates(self, previous: float | None, value: float) -> list[str]:
        if previous is not None and not self.pending:
            if not self.band_ok:
                self._band(previous)
            if self.lo < value < self.hi and self.lo < previous < self.hi:
                return []
        self.band_ok = False
        found = [rid for _, rid in self.fire_above[:bisect_right(self.fire_above, value, key=_KEY)]]
        found += [rid for _, rid in self.fire_below[bisect_left(self.fire_below, value, key=_KEY):]]
        found += [rid for _, rid in self.rearm_above[bisect_left(self.rearm_above, value,
                                                                 key=_KEY):]]
        found += [rid for _, rid in self.rearm_below[:bisect_right(self.rearm_below, value,
                                                                   key=_KEY)]]
        if previous is not None and value > previous:
            arr = self.cross_above
            found += [rid for _, rid in arr[bisect_left(arr, previous, key=_KEY):
                                            bisect_right(arr, value, key=_KEY)]]
        elif previous is not None and value < previous:
            arr = self.cross_below
            found += [rid for _, rid in arr[bisect_left(arr, value, key=_KEY):
                                            bisect_right(arr, previous, key=_KEY)]]
        found += self.pending
        return found


def _placement(rule: IndexedRule, state: RuleState) -> tuple[str, float]:
    """Which array a rule belongs in for its state, and its sort value there ("" = none)."""
    t = rule.threshold
    above = t.side is Side.ABOVE
    if state.done:
        return "", 0.0
    if t.crossing and not state.seen:
        return "pending", 0.0
    if not state.armed:
        slot = t.level - rule.hysteresis if above else t.level + rule.hysteresis
        return ("rearm_above" if above else "rearm_below"), slot
    if t.crossing:
        return ("cross_above" if above else "cross_below"), t.level
    return ("fire_above" if above else "fire_below"), t.level


class RuleIndex:
    """All indexed rules of one evaluator process, by stream."""

    def __init__(self) -> None:
        self._streams: dict[str, dict[str, Stream]] = {}   # key -> metric -> stream
        self._rules: dict[str, IndexedRule] = {}
        self.unloaded: list[Stream] = []    # new streams whose previous value is not read yet

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: str) -> IndexedRule | None:
        return self._rules.get(rule_id)

    def streams(self, key: str) -> dict[str, Stream] | None:
        """Streams with rules on `key` by metric, so only watched values get computed."""
        return self._streams.get(key)

    def upsert(self, rule: IndexedRule, state: RuleState) -> None:
        """Add a rule, or move it (a changed threshold, or a new state) to where it belongs."""
        self.remove(rule.rule_id)
        rule.bucket, rule.slot = "", 0.0     # its place in any other index means nothing here
        self._rules[rule.rule_id] = rule
        self.place(rule.rule_id, state)

    def place(self, rule_id: str, state: RuleState) -> None:
        """Put a known rule where its (new) state says; a no-op when it has not moved."""
        rule = self._rules[rule_id]
        bucket, slot = _placement(rule, state)
        if bucket == rule.bucket and slot == rule.slot:
            return
        key, metric = rule.stream
        metrics = self._streams.setdefault(key, {})
        stream = metrics.get(metric)
        if stream is None:
            stream = metrics[metric] = Stream(name=f"{key}|{metric}")
            self.unloaded.append(stream)
        self._take_out(stream, rule)
        rule.bucket, rule.slot = bucket, slot
        stream.band_ok = False
        if bucket == "pending":
            stream.pending[rule_id] = None
        elif bucket:
            insort(getattr(stream, bucket), (slot, rule_id))

    def remove(self, rule_id: str) -> None:
        rule = self._rules.pop(rule_id, None)
        if rule is None:
            return
        key, metric = rule.stream
        metrics = self._streams.get(key, {})
        stream = metrics.get(metric)
        if stream is not None:
            self._take_out(stream, rule)
            if not stream.size():
                del metrics[metric]
                if not metrics:
                    del self._streams[key]

    def candidates(self, stream: StreamKey, previous: float | None, value: float) -> list[str]:
        found = self._streams.get(stream[0], {}).get(stream[1])
        return [] if found is None else found.candidates(previous, value)

    @staticmethod
    def _take_out(stream: Stream, rule: IndexedRule) -> None:
        if rule.bucket == "pending":
            stream.pending.pop(rule.rule_id, None)
        elif rule.bucket:
            arr: list[Slot] = getattr(stream, rule.bucket)
            i = bisect_left(arr, (rule.slot, rule.rule_id))
            if i < len(arr) and arr[i] == (rule.slot, rule.rule_id):
                del arr[i]
        stream.band_ok = False
        rule.bucket, rule.slot = "", 0.0
