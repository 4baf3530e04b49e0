"""The recorder keeps the rules it parsed, and still never notifies for a rule paused, deleted
or changed since: each firing checks its rule in storage (alerts/rulecache.py). The evaluator
is not told of any change here, as when a rule-change push is lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.domain import RuleStatus
from stockflow.alerts.evaluator import AlertEvaluator, QuoteSeen
from stockflow.alerts.ports import InMemoryAlertStateStore, InMemoryNotifier
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules, DeliverySender, TriggerRecorder
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.testing.fakes import FakeClock

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
async def world(repo):
    clock = FakeClock(T0)
    rules = AlertRules(repo, AlertsSettings(), clock, WebhookGuard(StaticResolver({})))
    channel, _ = await rules.add_channel(
        "u1", ChannelCreate(kind=ChannelKind.WEBHOOK, target="https://hooks.example.com/x"))
    await repo.update_channel(replace(channel, verified=True))
    body = {"name": "first", "channel_ids": [channel.id],
            "policy": {"mode": "recurring", "cooldown_seconds": 0},
            "condition": {"type": "crosses_above", "ticker": "AAPL", "level": 200}}
    rule = await rules.create("u1", "pro", AlertCreate.model_validate(body))
    evaluator = AlertEvaluator(InMemoryAlertStateStore())
    await evaluator.add_rules(await repo.active_rules())
    notifier = InMemoryNotifier("webhook")
    sender = DeliverySender(repo, {ChannelKind.WEBHOOK: notifier}, clock, AlertsSettings())
    return rules, rule, body, TriggerRecorder(evaluator, repo), sender, notifier, clock


async def cross(recorder: TriggerRecorder, n: int) -> int:
    """One crossing of the level: below, then above (events 2n and 2n + 1)."""
    await recorder.on_quotes([QuoteSeen("AAPL", 199.0, None, f"q{2 * n}", T0)])
    return await recorder.on_quotes([QuoteSeen("AAPL", 201.0, None, f"q{2 * n + 1}", T0)])


async def test_a_rule_paused_or_deleted_since_it_fired_delivers_nothing(world):
    rules, rule, _, recorder, sender, notifier, clock = world
    assert await cross(recorder, 0) == 1              # the recorder has parsed the rule now
    clock.advance(1)
    await rules.set_status("u1", rule.id, RuleStatus.PAUSED)
    assert await cross(recorder, 1) == 0
    clock.advance(1)
    await rules.set_status("u1", rule.id, RuleStatus.ACTIVE)
    assert await cross(recorder, 2) == 1
    await sender.run_once()
    await rules.delete("u1", rule.id)
    assert await cross(recorder, 3) == 0
    assert await sender.run_once() == {"delivered": 0, "retry": 0, "failed": 0}
    assert [m.payload["data"]["event_id"] for m in notifier.sent] == ["q1", "q5"]


async def test_a_pause_at_the_same_updated_at_still_counts(world):
    # The status is read in storage each time, never taken from the cached copy.
    rules, rule, _, recorder, sender, _, _ = world
    assert await cross(recorder, 0) == 1
    await rules.set_status("u1", rule.id, RuleStatus.PAUSED)    # the clock has not moved
    assert await cross(recorder, 1) == 0
    assert await sender.run_once() == {"delivered": 1, "retry": 0, "failed": 0}


async def test_an_edited_rule_is_read_again_and_an_unchanged_one_is_not(world):
    rules, rule, body, recorder, sender, notifier, clock = world
    assert await cross(recorder, 0) == 1
    assert await cross(recorder, 1) == 1
    assert recorder.rules.reads == 1
    clock.advance(1)
    await rules.update("u1", rule.id, AlertCreate.model_validate({**body, "name": "second"}))
    assert await cross(recorder, 2) == 1
    assert recorder.rules.reads == 2
    await sender.run_once()
    assert [m.subject for m in notifier.sent] == ["first", "first", "second"]


async def test_a_disabled_channel_gets_no_delivery(world, repo):
    rules, _, _, recorder, sender, notifier, _ = world
    (channel,) = await rules.repo.list_channels("u1")
    await repo.update_channel(replace(channel, enabled=False))
    assert await cross(recorder, 0) == 1       # recorded in the history, sent nowhere
    assert await sender.run_once() == {"delivered": 0, "retry": 0, "failed": 0}
    assert notifier.sent == []
