"""Firing semantics of the pure state machine, as properties over random value paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from stockflow.alerts.conditions import Side, Threshold
from stockflow.alerts.domain import (
    Firing,
    FiringPolicy,
    Outcome,
    RuleState,
    step_event,
    step_threshold,
)

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
prices = st.lists(st.floats(90, 110, allow_nan=False), min_size=1, max_size=60)
sides = st.sampled_from([Side.ABOVE, Side.BELOW])


def run(threshold, policy, values, hysteresis=0.0, gap=60, state=None):
    """Feed values one a `gap` seconds apart; returns the outcomes and the final state."""
    state = state or RuleState()
    previous = None
    outcomes = []
    for i, v in enumerate(values):
        state, out = step_threshold(threshold, hysteresis, policy, state, v, previous,
                                    f"e{i}", T0 + timedelta(seconds=gap * i))
        outcomes.append(out)
        previous = v
    return outcomes, state


@given(values=prices, side=sides)
def test_crossing_never_fires_on_its_first_value(values, side):
    t = Threshold("price", side, 100.0, crossing=True)
    outcomes, _ = run(t, FiringPolicy(cooldown_seconds=0), values)
    assert outcomes[0] is Outcome.OBSERVED


@given(values=prices, side=sides)
def test_crossing_fires_exactly_on_transitions(values, side):
    t = Threshold("price", side, 100.0, crossing=True)
    outcomes, _ = run(t, FiringPolicy(cooldown_seconds=0), values)
    expected = [i for i in range(1, len(values))
                if t.holds(values[i]) and not t.holds(values[i - 1])]
    assert [i for i, o in enumerate(outcomes) if o is Outcome.FIRED] == expected


def test_crossing_armed_when_already_past_waits_for_a_return():
    t = Threshold("price", Side.ABOVE, 100.0, crossing=True)
    outcomes, _ = run(t, FiringPolicy(cooldown_seconds=0), [105, 106, 99, 101])
    assert outcomes == [Outcome.OBSERVED, Outcome.NOTHING, Outcome.NOTHING, Outcome.FIRED]


@given(values=prices, side=sides)
def test_one_shot_fires_at_most_once_and_only_when_the_level_holds(values, side):
    t = Threshold("price", side, 100.0)
    outcomes, state = run(t, FiringPolicy(mode=Firing.ONE_SHOT), values)
    fired = [i for i, o in enumerate(outcomes) if o is Outcome.FIRED]
    assert len(fired) <= 1
    assert all(t.holds(values[i]) for i in fired)
    assert state.done == bool(fired)
    first_true = next((i for i, v in enumerate(values) if t.holds(v)), None)
    assert fired == ([] if first_true is None else [first_true])


@given(values=prices, side=sides, h=st.floats(0, 5), cooldown=st.integers(0, 600))
@settings(max_examples=300)
def test_recurring_needs_rearm_between_firings_and_respects_cooldown(values, side, h,
                                                                     cooldown):
    t = Threshold("price", side, 100.0)
    outcomes, _ = run(t, FiringPolicy(cooldown_seconds=cooldown), values, hysteresis=h)
    fired = [i for i, o in enumerate(outcomes) if o is Outcome.FIRED]
    for a, b in pairwise(fired):
        # Between two notifications the value went back past the re-arm point ...
        assert any(t.rearms(v, h) for v in values[a + 1:b])
        # ... and the cooldown had passed.
        assert (b - a) * 60 >= cooldown
    triggers = [i for i, o in enumerate(outcomes) if o in (Outcome.FIRED, Outcome.SUPPRESSED)]
    assert all(t.holds(values[i]) for i in triggers)


def test_cooldown_swallows_then_fires_after_rearm():
    t = Threshold("price", Side.ABOVE, 100.0)
    policy = FiringPolicy(cooldown_seconds=150)
    outcomes, _ = run(t, policy, [101, 99, 101, 99, 101], gap=60)
    assert outcomes == [Outcome.FIRED, Outcome.REARMED, Outcome.SUPPRESSED, Outcome.REARMED,
                        Outcome.FIRED]


def test_redelivered_event_is_a_duplicate():
    t = Threshold("price", Side.ABOVE, 100.0)
    policy = FiringPolicy(cooldown_seconds=0)
    s1, o1 = step_threshold(t, 0, policy, RuleState(), 101, None, "q1", T0)
    s2, o2 = step_threshold(t, 0, policy, s1, 101, None, "q1", T0)
    assert (o1, o2) == (Outcome.FIRED, Outcome.DUPLICATE) and s2 == s1
    e1, p1 = step_event(policy, RuleState(), "n1", T0)
    e2, p2 = step_event(policy, e1, "n1", T0)
    e3, p3 = step_event(policy, e2, "n2", T0)
    assert (p1, p2, p3) == (Outcome.FIRED, Outcome.DUPLICATE, Outcome.FIRED)
    assert e3.fired_count == 2


def test_state_round_trips_through_json_dict():
    s = RuleState(armed=False, seen=True, fired_count=3, last_fired_at=T0,
                  recent_events=("a", "b"))
    assert RuleState.from_dict(s.to_dict()) == s
