"""The outbox's bus events and the retry sweep: alert.triggered after recording, alert.delivered
and alert.failed after the attempt is saved; the sweep job sends due retries, never first
attempts (those are the delivery loop's)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.evaluator import AlertEvaluator, QuoteSeen
from stockflow.alerts.ports import InMemoryAlertStateStore, InMemoryNotifier, SendResult
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules, DeliverySender, TriggerRecorder
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.alerts.tasks import jobs
from stockflow.core import registry
from stockflow.core.catalogue import ALERT_DELIVERED, ALERT_FAILED, ALERT_TRIGGERED
from stockflow.core.jobs import JobSkipped
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import FakeClock

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
async def bus():
    b = registry.build("bus", "memory://")
    seen: dict[str, list] = {t.name: [] for t in (ALERT_TRIGGERED, ALERT_DELIVERED, ALERT_FAILED)}
    for topic, events in seen.items():
        async def keep(event, events=events):
            events.append(event)
        b.subscribe(topic, "test", keep)
    await b.start()
    yield b, seen
    await b.stop()


async def test_events_follow_the_outbox_and_the_sweep_takes_only_retries(repo, bus):
    b, seen = bus
    clock = FakeClock(T0)
    rules = AlertRules(repo, AlertsSettings(), clock, WebhookGuard(StaticResolver({})))
    channel, _ = await rules.add_channel("u1", ChannelCreate(kind=ChannelKind.PUSH,
                                                             target="ntfy://ntfy.sh/x"))
    for ticker in ("AAPL", "MSFT"):
        await rules.create("u1", "pro", AlertCreate.model_validate({
            "channel_ids": [channel.id],
            "condition": {"type": "price_above", "ticker": ticker, "level": 100}}))
    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules(await repo.active_rules())
    notifier = InMemoryNotifier("push", [SendResult(ok=False, status=503),
                                         SendResult(ok=True, status=200),
                                         SendResult(ok=False, error="bad", permanent=True)])
    settings = AlertsSettings(retry_delays_seconds=[5])
    sender = DeliverySender(repo, {ChannelKind.PUSH: notifier}, clock, settings, bus=b)
    sweep = next(j for j in jobs(lambda: sender, None) if j.name == "alerts-retry-sweep")
    await TriggerRecorder(ev, repo, bus=b).on_quotes(
        [QuoteSeen("AAPL", 150.0, None, "q1", T0), QuoteSeen("MSFT", 150.0, None, "q2", T0)])
    await eventually(lambda: len(seen[ALERT_TRIGGERED.name]) == 2)
    with pytest.raises(JobSkipped):
        await sweep.run()                         # first attempts are not the sweep's
    assert notifier.sent == []
    assert await sender.run_once() == {"delivered": 1, "retry": 1, "failed": 0}
    await eventually(lambda: len(seen[ALERT_DELIVERED.name]) == 1)
    clock.advance(6)
    assert await sweep.run() == {"delivered": 0, "retry": 0, "failed": 1}
    await eventually(lambda: len(seen[ALERT_FAILED.name]) == 1)
    failed = seen[ALERT_FAILED.name][0].data
    assert failed["attempts"] == 2 and failed["error"] == "bad"
    assert {e.data["alert_id"] for e in seen[ALERT_TRIGGERED.name]} == {
        d["alert_id"] for d in (seen[ALERT_DELIVERED.name][0].data, failed)}
