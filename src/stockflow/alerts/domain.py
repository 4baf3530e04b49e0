"""Alert rules and their firing semantics: a pure state machine, no I/O.

A rule is armed, fires once its condition holds, then waits to re-arm (hysteresis) before it can
fire again; a cooldown swallows a trigger that comes too soon after the last one; a one-shot rule
is done after its first firing; an event already seen by the rule is ignored (de-duplication by
rule and triggering event id). Crossing rules fire on a transition this rule itself observed, so a
rule armed while the price is already past its level does not fire until the price has been back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stockflow.alerts.conditions import Condition, Threshold

# How many triggering event ids a rule remembers; a bus redelivers within seconds, long before
# this many newer events have reached the same rule. The alert_history unique key is the backstop.
RECENT_EVENTS = 16


class Firing(StrEnum):
    ONE_SHOT = "one_shot"
    RECURRING = "recurring"


class RuleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DONE = "done"       # a one-shot rule that fired


class FiringPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Firing = Firing.RECURRING
    cooldown_seconds: int = Field(300, ge=0, le=30 * 86_400, description=(
        "A trigger within this many seconds of the rule's last notification is swallowed."))


class AlertRule(BaseModel):
    """A user's rule: what to watch, how often to fire, where to send it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    user_id: str
    name: str = Field("", max_length=200)
    condition: Condition
    policy: FiringPolicy = FiringPolicy()
    channel_ids: tuple[str, ...] = ()
    status: RuleStatus = RuleStatus.ACTIVE
    created_at: datetime
    updated_at: datetime

    @property
    def hysteresis(self) -> float:
        return float(getattr(self.condition, "hysteresis", 0.0))


class Outcome(StrEnum):
    NOTHING = "nothing"
    OBSERVED = "observed"        # a crossing rule saw its first value
    FIRED = "fired"
    SUPPRESSED = "suppressed"    # would have fired; inside the cooldown
    REARMED = "rearmed"
    DUPLICATE = "duplicate"      # this rule already handled this event


@dataclass(frozen=True, slots=True)
class RuleState:
    """What evaluation remembers about one rule between events."""

    armed: bool = True
    seen: bool = False                     # crossing rules: a first value has been observed
    done: bool = False
    fired_count: int = 0
    last_fired_at: datetime | None = None
    recent_events: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"armed": self.armed, "seen": self.seen, "done": self.done,
                "fired_count": self.fired_count,
                "last_fired_at": self.last_fired_at.isoformat() if self.last_fired_at else None,
                "recent_events": list(self.recent_events)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleState:
        fired = data.get("last_fired_at")
        return cls(armed=bool(data["armed"]), seen=bool(data["seen"]), done=bool(data["done"]),
                   fired_count=int(data["fired_count"]),
                   last_fired_at=datetime.fromisoformat(fired) if fired else None,
                   recent_events=tuple(data.get("recent_events", ())))


def _remember(state: RuleState, event_id: str) -> tuple[str, ...]:
    return (state.recent_events + (event_id,))[-RECENT_EVENTS:]


def _fire(state: RuleState, policy: FiringPolicy, event_id: str,
          now: datetime) -> tuple[RuleState, Outcome]:
    """The common tail of every trigger: cooldown, one-shot, bookkeeping."""
    recent = _remember(state, event_id)
    cooling = (state.last_fired_at is not None and policy.mode is Firing.RECURRING
               and now - state.last_fired_at < timedelta(seconds=policy.cooldown_seconds))
    if cooling:
        # Swallowed, and disarmed as if fired: a level that stays breached through the cooldown
        # does not notify the moment the cooldown ends, only after it has re-armed.
        return replace(state, armed=False, recent_events=recent), Outcome.SUPPRESSED
    return replace(state, armed=False, done=policy.mode is Firing.ONE_SHOT,
                   fired_count=state.fired_count + 1, last_fired_at=now,
                   recent_events=recent), Outcome.FIRED


def step_threshold(threshold: Threshold, hysteresis: float, policy: FiringPolicy,
                   state: RuleState, value: float, previous: float | None, event_id: str,
                   now: datetime) -> tuple[RuleState, Outcome]:
    """One numeric observation for one rule. `previous` is the stream's value before this one."""
    if state.done:
        return state, Outcome.NOTHING
    if event_id in state.recent_events:
        return state, Outcome.DUPLICATE
    if threshold.crossing and not state.seen:
        # The arming observation: remember that we have a value, never fire on it.
        return replace(state, seen=True,
                       recent_events=_remember(state, event_id)), Outcome.OBSERVED
    if not state.armed:
        if threshold.rearms(value, hysteresis):
            return replace(state, armed=True), Outcome.REARMED
        return state, Outcome.NOTHING
    if not threshold.holds(value):
        return state, Outcome.NOTHING
    if threshold.crossing and (previous is None or threshold.holds(previous)):
        return state, Outcome.NOTHING
    return _fire(state, policy, event_id, now)


def step_event(policy: FiringPolicy, state: RuleState, event_id: str,
               now: datetime) -> tuple[RuleState, Outcome]:
    """An event that matched an event condition (news type, signal, market open/close)."""
    if state.done:
        return state, Outcome.NOTHING
    if event_id in state.recent_events:
        return state, Outcome.DUPLICATE
    new, outcome = _fire(state, policy, event_id, now)
    # Event conditions have no level to return across, so they are armed again at once.
    return replace(new, armed=True), outcome


@dataclass(frozen=True, slots=True)
class Trigger:
    """A rule fired: what the history row and the notifications are made from."""

    rule: AlertRule
    event_id: str
    value: float | None
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def history_id(self) -> str:
        # Deterministic, so a redelivered event maps onto the same history row.
        return f"{self.rule.id}:{self.event_id}"
