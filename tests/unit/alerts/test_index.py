"""The index proposes exactly the rules a full scan would fire: evaluator against brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stockflow.alerts.conditions import Source, parse_condition
from stockflow.alerts.domain import (
    AlertRule,
    Firing,
    FiringPolicy,
    Outcome,
    RuleState,
    RuleStatus,
    step_threshold,
)
from stockflow.alerts.evaluator import AlertEvaluator, QuoteSeen
from stockflow.alerts.ports import InMemoryAlertStateStore

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)

rule_specs = st.lists(st.tuples(
    st.sampled_from(["price_above", "price_below", "crosses_above", "crosses_below"]),
    st.integers(95, 105).map(float),                  # levels on a grid: many exact hits
    st.sampled_from([0.0, 0.5, 2.0]),                 # hysteresis
    st.sampled_from([Firing.ONE_SHOT, Firing.RECURRING]),
    st.sampled_from([0, 90, 300]),                    # cooldown
), min_size=1, max_size=25)
paths = st.lists(st.integers(930, 1070).map(lambda x: x / 10), min_size=1, max_size=40)


def make_rule(i, kind, level, h, mode, cooldown, ticker="AAPL"):
    return AlertRule(id=f"r{i}", user_id="u1",
                     condition=parse_condition({"type": kind, "ticker": ticker, "level": level,
                                                "hysteresis": h}),
                     policy=FiringPolicy(mode=mode, cooldown_seconds=cooldown),
                     created_at=T0, updated_at=T0)


def brute_force(rules, path):
    """Every rule stepped on every value: the reference the index must agree with."""
    states = {r.id: RuleState() for r in rules}
    fired, prev = [], None
    for i, price in enumerate(path):
        at = T0 + timedelta(seconds=60 * i)
        for r in rules:
            states[r.id], out = step_threshold(r.condition.threshold(), r.hysteresis, r.policy,
                                               states[r.id], price, prev, f"q{i}", at)
            if out is Outcome.FIRED:
                fired.append((i, r.id))
        prev = price
    return sorted(fired), states


@given(specs=rule_specs, path=paths)
@settings(max_examples=300, deadline=None)
async def test_index_fires_what_a_full_scan_fires(specs, path):
    rules = [make_rule(i, *s) for i, s in enumerate(specs)]
    state = InMemoryAlertStateStore()
    ev = AlertEvaluator(state)
    await ev.add_rules(rules)
    got = []
    for i, price in enumerate(path):
        for f in await ev.on_quote("AAPL", price, None, f"q{i}", T0 + timedelta(seconds=60 * i)):
            got.append((i, f.rule_id))
    expected, ref_states = brute_force(rules, path)
    assert sorted(got) == expected
    saved = await state.load([r.id for r in rules])
    for r in rules:
        # The index may skip a rule it knows cannot change; its state must still agree.
        ref = ref_states[r.id]
        mine = saved.get(r.id, RuleState())
        assert (mine.armed, mine.done, mine.fired_count, mine.last_fired_at) == \
            (ref.armed, ref.done, ref.fired_count, ref.last_fired_at)


def brute_force_joined(rules, joined, path):
    """As `brute_force`, with rule r stepped only from quote joined[r.id] on."""
    states = {r.id: RuleState() for r in rules}
    fired, prev = [], None
    for i, price in enumerate(path):
        at = T0 + timedelta(seconds=60 * i)
        for r in rules:
            if joined[r.id] <= i:
                states[r.id], out = step_threshold(r.condition.threshold(), r.hysteresis,
                                                   r.policy, states[r.id], price, prev,
                                                   f"q{i}", at)
                if out is Outcome.FIRED:
                    fired.append((i, r.id))
        prev = price
    return sorted(fired)


@given(specs=rule_specs, path=paths, data=st.data())
@settings(max_examples=300, deadline=None)
async def test_rules_added_while_the_stream_runs_fire_as_a_full_scan(specs, path, data):
    # A rule created (or edited, or put back by a rollback) while the price is already past
    # its level must fire on the next quote: the index's quiet gap, computed from the rules
    # it held before, must not hide it.
    rules = [make_rule(i, *s) for i, s in enumerate(specs)]
    joined = {r.id: data.draw(st.integers(0, len(path) - 1)) for r in rules}
    ev = AlertEvaluator(InMemoryAlertStateStore())
    got = []
    for i, price in enumerate(path):
        await ev.add_rules([r for r in rules if joined[r.id] == i])
        for f in await ev.on_quote("AAPL", price, None, f"q{i}", T0 + timedelta(seconds=60 * i)):
            got.append((i, f.rule_id))
    assert sorted(got) == brute_force_joined(rules, joined, path)


async def test_a_level_already_passed_when_the_rule_arrives_fires_on_the_next_quote():
    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules([make_rule(1, "price_above", 200.0, 0.0, Firing.RECURRING, 0)])
    assert await ev.on_quote("AAPL", 150.0, None, "q1", T0) == []
    assert await ev.on_quote("AAPL", 151.0, None, "q2", T0) == []
    await ev.add_rules([make_rule(2, "price_above", 100.0, 0.0, Firing.RECURRING, 0),
                        make_rule(3, "price_below", 180.0, 0.0, Firing.RECURRING, 0)])
    fired = await ev.on_quote("AAPL", 152.0, None, "q3", T0 + timedelta(minutes=1))
    assert sorted(f.rule_id for f in fired) == ["r2", "r3"]


async def test_quote_touches_only_its_ticker_and_matching_rules():
    ev = AlertEvaluator(InMemoryAlertStateStore())
    rules = [make_rule(i, "price_above", 100.0 + i, 0.0, Firing.RECURRING, 0)
             for i in range(1000)]
    rules.append(make_rule(5000, "price_above", 50.0, 0.0, Firing.RECURRING, 0, ticker="MSFT"))
    await ev.add_rules(rules)
    assert ev.index.candidates(("AAPL", "price"), None, 99.0) == []
    fired = await ev.on_quote("AAPL", 102.5, None, "q1", T0)
    assert sorted(f.rule_id for f in fired) == ["r0", "r1", "r2"]
    # Fired rules moved to their re-arm array: a repeat of the same price proposes nobody.
    assert ev.index.candidates(("AAPL", "price"), 102.5, 102.5) == []
    # ... and costs two comparisons: the value sits in the stream's quiet gap, between the
    # highest re-arm point below it (102) and the next level above it (103).
    stream = ev.index.streams("AAPL")["price"]
    assert (stream.band_ok, stream.lo, stream.hi) == (True, 102.0, 103.0)


async def test_remove_update_and_pause():
    ev = AlertEvaluator(InMemoryAlertStateStore())
    rule = make_rule(1, "price_above", 100.0, 0.0, Firing.RECURRING, 0)
    await ev.add_rules([rule])
    moved = rule.model_copy(update={"condition": parse_condition(
        {"type": "price_above", "ticker": "AAPL", "level": 200})})
    await ev.add_rules([moved])
    assert await ev.on_quote("AAPL", 150, None, "q1", T0) == []
    paused = moved.model_copy(update={"status": RuleStatus.PAUSED})
    await ev.add_rules([paused])
    assert await ev.on_quote("AAPL", 250, None, "q2", T0) == []
    await ev.add_rules([moved])
    assert [f.rule_id for f in await ev.on_quote("AAPL", 250, None, "q3", T0)] == ["r1"]
    ev.remove_rule("r1")
    assert len(ev.index) == 0 and await ev.on_quote("AAPL", 10, None, "q4", T0) == []


async def test_pct_change_volume_spike_and_named_metrics():
    ev = AlertEvaluator(InMemoryAlertStateStore())
    conds = {
        "pct": {"type": "pct_change", "ticker": "TSLA", "pct": 5, "window_seconds": 600},
        "vol": {"type": "volume_spike", "ticker": "TSLA", "multiple": 3, "lookback_days": 20},
        "rsi": {"type": "indicator", "ticker": "TSLA", "name": "rsi", "params": {"length": 14},
                "op": ">", "value": 70},
    }
    await ev.add_rules([AlertRule(id=k, user_id="u", condition=parse_condition(c),
                                  created_at=T0, updated_at=T0) for k, c in conds.items()])
    ev.set_volume_baseline("TSLA", 20, 1_000_000)
    assert await ev.on_quote("TSLA", 100, 1_000_000, "q1", T0) == []
    # 5.5 % up inside ten minutes, and 3.2 × the average volume.
    got = await ev.on_quote("TSLA", 105.5, 3_200_000, "q2", T0 + timedelta(minutes=5))
    assert sorted(f.rule_id for f in got) == ["pct", "vol"]
    got = await ev.on_values("TSLA", {"rsi(length=14)@1d": 71.0}, "i1", T0)
    assert [f.rule_id for f in got] == ["rsi"]


async def test_event_conditions_fire_once_per_event():
    ev = AlertEvaluator(InMemoryAlertStateStore())
    conds = {
        "neg": {"type": "news", "ticker": "AAPL", "sentiment_at_most": -0.5},
        "earn": {"type": "news", "ticker": "AAPL", "event_type": "earnings"},
        "sig": {"type": "signal", "ticker": "AAPL", "name": "golden_cross"},
        "open": {"type": "market_status", "exchange": "XNYS", "on": "open"},
    }
    await ev.add_rules([AlertRule(id=k, user_id="u", condition=parse_condition(c),
                                  policy=FiringPolicy(cooldown_seconds=0),
                                  created_at=T0, updated_at=T0) for k, c in conds.items()])
    got = await ev.on_event(Source.NEWS, "AAPL", "n1", T0, sentiment=-0.8,
                            event_types=["earnings"])
    assert sorted(f.rule_id for f in got) == ["earn", "neg"]
    assert await ev.on_event(Source.NEWS, "AAPL", "n1", T0, sentiment=-0.8) == []  # redelivery
    got = await ev.on_event(Source.SIGNAL, "AAPL", "s1", T0, name="golden_cross",
                            direction="long")
    assert [f.rule_id for f in got] == ["sig"]
    assert await ev.on_event(Source.MARKET_STATUS, "XNYS", "m1", T0, status="close") == []
    got = await ev.on_event(Source.MARKET_STATUS, "XNYS", "m2", T0, status="open")
    assert [f.rule_id for f in got] == ["open"]


async def test_rollback_lets_a_redelivered_event_fire_again_and_commit_keeps_it():
    state = InMemoryAlertStateStore()
    ev = AlertEvaluator(state)
    await ev.add_rules([make_rule(1, "crosses_above", 100.0, 0.0, Firing.RECURRING, 0)])
    await ev.on_quote("AAPL", 99.0, None, "q0", T0)
    fired = await ev.on_quotes([QuoteSeen("AAPL", 101.0, None, "q1", T0)], commit=False)
    assert [f.rule_id for f in fired] == ["r1"]
    assert (await state.load(["r1"]))["r1"].fired_count == 0     # nothing written yet
    ev.rollback()                        # recording the firing failed: the bus redelivers q1
    fired = await ev.on_quotes([QuoteSeen("AAPL", 101.0, None, "q1", T0)], commit=False)
    assert [f.rule_id for f in fired] == ["r1"]
    await ev.commit()
    assert (await state.load(["r1"]))["r1"].fired_count == 1
    assert await state.previous(["AAPL|price"]) == {"AAPL|price": 101.0}
