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

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from stockflow.alerts.conditions import Side, Threshold
from stockflow.alerts.domain import FiringPolicy, RuleState

StreamKey = tuple[str, str]          # (key, metric), e.g. ("AAPL", "price")
FRESH = RuleState()


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
    # The rule's evaluation state as this process last computed it. The evaluator that owns a
    # stream is its only writer, so the state port is read when rules are indexed, and written
    # after each batch, never read per quote.
    state: RuleState = FRESH


_INF = float("inf")


class Slots:
    """Rule ids sorted by a float: the floats in one contiguous array, so a bisection reads a
    few cache lines instead of chasing a pointer per probe."""

    __slots__ = ("ids", "keys")

    def __init__(self) -> None:
        self.keys = array("d")
        self.ids: list[str] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, key: float, rule_id: str) -> None:
        i = bisect_right(self.keys, key)
        self.keys.insert(i, key)
        self.ids.insert(i, rule_id)

    def discard(self, key: float, rule_id: str) -> bool:
        keys, ids = self.keys, self.ids
        i = bisect_left(keys, key)
        while i < len(keys) and keys[i] == key:
            if ids[i] == rule_id:
                del keys[i]
                del ids[i]
                return True
            i += 1
        return False

    def at_or_below(self, value: float) -> list[str]:
        return self.ids[:bisect_right(self.keys, value)]

    def at_or_above(self, value: float) -> list[str]:
        return self.ids[bisect_left(self.keys, value):]

    def between(self, low: float, high: float) -> list[str]:
        return self.ids[bisect_left(self.keys, low):bisect_right(self.keys, high)]


class Bounds:
    """The sort values of several arrays merged (values only): the gap around a value is then
    two bisections, not two per array. Equal values are interchangeable, so a discard takes
    any one of them."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys = array("d")

    def add(self, key: float) -> None:
        self.keys.insert(bisect_right(self.keys, key), key)

    def discard(self, key: float) -> None:
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]


# The arrays whose values bound the no-change gap from above and from below. A crossing level
# bounds it on both sides: a value may pass it going one way (no candidate) and come back the
# other (a firing).
_UPPER = frozenset(("fire_above", "rearm_below", "cross_above", "cross_below"))
_LOWER = frozenset(("fire_below", "rearm_above", "cross_below", "cross_above"))


@dataclass(slots=True)
class Stream:
    """The rules of one (key, metric), and what the evaluator remembers of its values."""

    fire_above: Slots = field(default_factory=Slots)
    fire_below: Slots = field(default_factory=Slots)
    cross_above: Slots = field(default_factory=Slots)
    cross_below: Slots = field(default_factory=Slots)
    rearm_above: Slots = field(default_factory=Slots)
    rearm_below: Slots = field(default_factory=Slots)
    pending: dict[str, None] = field(default_factory=dict)
    upper: Bounds = field(default_factory=Bounds)    # values of the _UPPER arrays
    lower: Bounds = field(default_factory=Bounds)    # values of the _LOWER arrays
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
        self.band_ok = True
        if self._past(at):
            self.lo, self.hi = _INF, -_INF      # no quiet gap until that rule has moved
            return
        upper, lower = self.upper.keys, self.lower.keys
        i = bisect_left(upper, at)
        self.hi = upper[i] if i < len(upper) else _INF
        j = bisect_right(lower, at)
        self.lo = lower[j - 1] if j else -_INF

    def _past(self, at: float) -> bool:
        """Whether a level or re-arm rule already sits past `at`. An observation moves such a
        rule out at once, so this happens only to a rule that arrived (created, edited, put
        back by a rollback) while the stream's value was already beyond its point: the gap
        around `at` would hide it, though the next value must reach it."""
        # fire_above and rearm_below change at or above their value, the other two at or below.
        fa, rb = self.fire_above.keys, self.rearm_below.keys
        fb, ra = self.fire_below.keys, self.rearm_above.keys
        return bool((fa and fa[0] <= at) or (rb and rb[0] <= at)
                    or (fb and fb[-1] >= at) or (ra and ra[-1] >= at))

    def put(self, bucket: str, slot: float, rule_id: str) -> None:
        getattr(self, bucket).add(slot, rule_id)
        if bucket in _UPPER:
            self.upper.add(slot)
        if bucket in _LOWER:
            self.lower.add(slot)

    def take(self, bucket: str, slot: float, rule_id: str) -> None:
        if not getattr(self, bucket).discard(slot, rule_id):
            return
        if bucket in _UPPER:
            self.upper.discard(slot)
        if bucket in _LOWER:
            self.lower.discard(slot)

    def candidates(self, previous: float | None, value: float) -> list[str]:
        if previous is not None and not self.pending:
            if not self.band_ok:
                self._band(previous)
            if self.lo < value < self.hi and self.lo < previous < self.hi:
                return []
        self.band_ok = False
        found = self.fire_above.at_or_below(value)
        found += self.fire_below.at_or_above(value)
        found += self.rearm_above.at_or_above(value)
        found += self.rearm_below.at_or_below(value)
        if previous is not None and value > previous:
            found += self.cross_above.between(previous, value)
        elif previous is not None and value < previous:
            found += self.cross_below.between(value, previous)
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
        rule.state = state
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
            stream.put(bucket, slot, rule_id)

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
            stream.take(rule.bucket, rule.slot, rule.rule_id)
        stream.band_ok = False
        rule.bucket, rule.slot = "", 0.0
