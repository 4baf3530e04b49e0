"""End to end on SQLite: a quote fires a rule, the outbox delivers it, a redelivery adds nothing,
a 410 disables the channel, and users never see each other's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind, DeliveryStatus
from stockflow.alerts.evaluator import AlertEvaluator, QuoteSeen
from stockflow.alerts.ports import InMemoryAlertStateStore, InMemoryNotifier, SendResult
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules, DeliverySender, TriggerRecorder
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.core.problems import Problem
from stockflow.testing.fakes import FakeClock

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def rules(repo):
    guard = WebhookGuard(StaticResolver({}))
    return AlertRules(repo, AlertsSettings(), FakeClock(T0), guard)


async def setup(rules, repo, notifier_results=()):
    channel, secret = await rules.add_channel(
        "u1", ChannelCreate(kind=ChannelKind.WEBHOOK, target="https://hooks.example.com/x"))
    assert secret.startswith("whsec_")
    channel = replace(channel, verified=True)       # as its signed ping would have
    await repo.update_channel(channel)
    rule = await rules.create("u1", "pro", AlertCreate.model_validate({
        "name": "AAPL breakout", "channel_ids": [channel.id],
        "condition": {"type": "crosses_above", "ticker": "AAPL", "level": 200}}))
    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules(await repo.active_rules())
    notifier = InMemoryNotifier("webhook", notifier_results)
    clock = FakeClock(T0)
    sender = DeliverySender(repo, {ChannelKind.WEBHOOK: notifier}, clock, AlertsSettings())
    return rule, channel, TriggerRecorder(ev, repo), sender, notifier, clock


async def test_quote_to_delivery_once_even_when_the_event_comes_twice(rules, repo):
    rule, channel, recorder, sender, notifier, _ = await setup(rules, repo)
    assert await recorder.on_quotes([QuoteSeen("AAPL", 199.0, None, "q1", T0)]) == 0
    assert await recorder.on_quotes([QuoteSeen("AAPL", 201.0, None, "q2", T0)]) == 1
    assert await sender.run_once() == {"delivered": 1, "retry": 0, "failed": 0}
    (msg,) = notifier.sent
    assert msg.recipient == "https://hooks.example.com/x" and msg.secrets == channel.secrets
    assert msg.payload["data"]["alert_id"] == rule.id and msg.subject == "AAPL breakout"
    # The bus redelivers q2 to a fresh evaluator (a restart): nothing new is written or sent.
    ev2 = AlertEvaluator(InMemoryAlertStateStore())
    await ev2.add_rules(await repo.active_rules())
    await ev2.on_quote("AAPL", 199.0, None, "q1", T0)
    assert await TriggerRecorder(ev2, repo).on_quotes([QuoteSeen("AAPL", 201.0, None, "q2",
                                                                 T0)]) == 0
    assert await sender.run_once() == {"delivered": 0, "retry": 0, "failed": 0}
    (h,) = await rules.history("u1", rule.id)
    assert h["deliveries"][0].status is DeliveryStatus.DELIVERED


async def test_failure_retries_on_schedule_and_410_disables(rules, repo):
    _, channel, recorder, sender, notifier, clock = await setup(
        rules, repo, [SendResult(ok=False, status=503), SendResult(ok=False, status=410)])
    await recorder.on_quotes([QuoteSeen("AAPL", 199.0, None, "q1", T0),
                              QuoteSeen("AAPL", 201.0, None, "q2", T0)])
    assert await sender.run_once() == {"delivered": 0, "retry": 1, "failed": 0}
    assert await sender.run_once() == {"delivered": 0, "retry": 0, "failed": 0}   # not yet due
    clock.advance(6)
    assert await sender.run_once() == {"delivered": 0, "retry": 0, "failed": 1}
    assert not (await repo.get_channels([channel.id]))[channel.id].enabled
    assert len(notifier.sent) == 2


async def test_recording_failure_rolls_the_evaluator_back(rules, repo):
    _, _, recorder, _, _, _ = await setup(rules, repo)
    await recorder.on_quotes([QuoteSeen("AAPL", 199.0, None, "q1", T0)])

    async def broken(items):
        raise RuntimeError("database went away")
    original, repo.record_triggers = repo.record_triggers, broken
    with pytest.raises(RuntimeError):
        await recorder.on_quotes([QuoteSeen("AAPL", 201.0, None, "q2", T0)])
    repo.record_triggers = original
    assert await recorder.on_quotes([QuoteSeen("AAPL", 201.0, None, "q2", T0)]) == 1


async def test_other_users_rules_are_not_found_and_limits_hold(rules, repo):
    rule, channel, *_ = await setup(rules, repo)
    for call in (rules.get("u2", rule.id), rules.delete("u2", rule.id),
                 rules.history("u2", rule.id)):
        with pytest.raises(Problem) as err:
            await call
        assert err.value.status == 404
    body = AlertCreate.model_validate({"channel_ids": [channel.id], "condition": {
        "type": "price_above", "ticker": "MSFT", "level": 1}})
    with pytest.raises(Problem) as err:
        await rules.create("u2", "pro", body)              # someone else's channel
    assert err.value.status == 404
    with pytest.raises(Problem) as err:
        await rules.create("u1", "free", body)
    assert err.value.status == 403


@pytest.mark.parametrize(("kind", "target"), [
    (ChannelKind.WEBHOOK, "http://169.254.169.254/latest"), (ChannelKind.WEBHOOK, "ftp://x.y/"),
    (ChannelKind.SMS, "5551234567"),
])
async def test_bad_channel_targets_are_422(rules, kind, target):
    with pytest.raises(Problem) as err:
        await rules.add_channel("u1", ChannelCreate(kind=kind, target=target))
    assert err.value.status == 422


async def test_quote_to_a_signed_webhook_at_a_local_receiver(repo):
    from standardwebhooks.webhooks import Webhook

    from stockflow.adapters.notify.webhook.sender import WebhookNotifier
    from stockflow.core.clock import SystemClock

    from .receiver import Receiver

    with Receiver() as rx:
        guard = WebhookGuard(allowed=["127.0.0.1/32"])
        rules = AlertRules(repo, AlertsSettings(), FakeClock(T0), guard)
        channel, secret = await rules.add_channel(
            "u1", ChannelCreate(kind=ChannelKind.WEBHOOK, target=rx.url + "/stockflow"))
        await repo.update_channel(replace(channel, verified=True))
        rule = await rules.create("u1", "enterprise", AlertCreate.model_validate({
            "channel_ids": [channel.id],
            "condition": {"type": "price_below", "ticker": "BTC-USD", "level": 90_000}}))
        ev = AlertEvaluator(InMemoryAlertStateStore())
        await ev.add_rules(await repo.active_rules())
        clock = SystemClock()
        notifier = WebhookNotifier(guard, clock)
        sender = DeliverySender(repo, {ChannelKind.WEBHOOK: notifier}, clock, AlertsSettings())
        try:
            await TriggerRecorder(ev, repo).on_quotes(
                [QuoteSeen("BTC-USD", 89_500.0, None, "q1", clock.now())])
            assert await sender.run_once() == {"delivered": 1, "retry": 0, "failed": 0}
        finally:
            await notifier.close()
    (req,) = rx.requests
    body = Webhook(secret).verify(req.body, req.headers)
    assert body["type"] == "alert.triggered" and body["data"]["alert_id"] == rule.id
    assert body["data"]["value"] == 89_500.0
    (h,) = await rules.history("u1", rule.id)
    assert h["deliveries"][0].id == req.headers["webhook-id"]
