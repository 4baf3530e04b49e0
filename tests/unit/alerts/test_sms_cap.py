"""The per-user daily SMS cap: firings beyond it fail for good with the reason, the count lives
in storage (a restarted sender still sees it), a new UTC day and other users are not affected,
and a message the provider refused gives its slot back. Twilio is a real local HTTP server
answering Twilio's recorded bodies."""

from __future__ import annotations

from datetime import timedelta

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind, DeliveryStatus
from stockflow.alerts.evaluator import AlertEvaluator, QuoteSeen
from stockflow.alerts.ports import InMemoryAlertStateStore
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules, DeliverySender, TriggerRecorder
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.testing.fakes import FakeClock

from .receiver import Receiver
from .test_service import T0
from .test_vendor_notifiers import twilio, twilio_answer

SETTINGS = AlertsSettings(sms_daily_cap=2)
REFUSED = "+15005550001"       # Twilio's 21211 answer: not a valid "To" number


async def _sms_rule(repo, user: str, number: str):
    rules = AlertRules(repo, SETTINGS, FakeClock(T0), WebhookGuard(StaticResolver({})))
    channel, _ = await rules.add_channel(user, ChannelCreate(kind=ChannelKind.SMS,
                                                             target=number))
    rule = await rules.create(user, "pro", AlertCreate.model_validate({
        "channel_ids": [channel.id], "policy": {"mode": "recurring", "cooldown_seconds": 0},
        "condition": {"type": "price_above", "ticker": "AAPL", "level": 200}}))
    return rules, rule


async def _fire(recorder, n: int, start: int = 0) -> None:
    """n firings: above the level, back below (re-armed), above again, ..."""
    for i in range(start, start + n):
        await recorder.on_quotes([QuoteSeen("AAPL", 201.0, None, f"up-{i}", T0),
                                  QuoteSeen("AAPL", 199.0, None, f"down-{i}", T0)])


async def _statuses(rules, user, rule_id):
    return sorted(((d.status, d.last_error) for h in await rules.history(user, rule_id)
                   for d in h["deliveries"]), key=lambda x: x[0].value)


async def test_sms_beyond_the_daily_cap_fail_with_the_reason_and_the_count_survives(tmp_path):
    db = SqlDatabase(f"sqlite:///{tmp_path / 'a.db'}")
    await db.connect()
    await db.migrate(["stockflow.alerts.migrations"])
    repo = SqlAlertRepository(db)
    rules, rule = await _sms_rule(repo, "u1", "+14155552345")
    _, other = await _sms_rule(repo, "u2", "+14155552346")
    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules(await repo.active_rules())
    recorder = TriggerRecorder(ev, repo)
    clock = FakeClock(T0)
    with Receiver(twilio_answer) as rx:
        sms = twilio(rx.url)
        try:
            await _fire(recorder, 3)
            sender = DeliverySender(repo, {ChannelKind.SMS: sms}, clock, SETTINGS)
            # Both users' rules fired 3 times: 2 each reach Twilio, the third is capped.
            assert await sender.run_once() == {"delivered": 4, "retry": 0, "failed": 2}
            assert len(rx.requests) == 4
            mine = await _statuses(rules, "u1", rule.id)
            assert [s for s, _ in mine] == [DeliveryStatus.DELIVERED] * 2 + [DeliveryStatus.FAILED]
            assert "daily SMS cap of 2" in mine[-1][1]
            assert len(await _statuses(rules, "u2", other.id)) == 3

            # A restarted worker (new repository and sender on the same database) still counts.
            await db.close()
            db = SqlDatabase(f"sqlite:///{tmp_path / 'a.db'}")
            await db.connect()
            repo = SqlAlertRepository(db)
            recorder = TriggerRecorder(ev, repo)
            sender = DeliverySender(repo, {ChannelKind.SMS: sms}, clock, SETTINGS)
            await _fire(recorder, 1, start=3)
            assert await sender.run_once() == {"delivered": 0, "retry": 0, "failed": 2}
            assert len(rx.requests) == 4

            # The next UTC day has a fresh allowance.
            clock.advance(86_400)
            await _fire(recorder, 1, start=4)
            assert await sender.run_once() == {"delivered": 2, "retry": 0, "failed": 0}
            assert len(rx.requests) == 6
            assert await repo.sms_sent("u1", (T0 + timedelta(days=1)).date()) == 1
        finally:
            await sms.close()
            await db.close()


async def test_a_message_the_provider_refused_gives_its_slot_back(repo):
    rules, rule = await _sms_rule(repo, "u1", REFUSED)
    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules(await repo.active_rules())
    with Receiver(twilio_answer) as rx:
        sms = twilio(rx.url)
        try:
            await _fire(TriggerRecorder(ev, repo), 3)
            # One per round: a slot is given back after the answer, so sends in one round
            # would still hold theirs when the next one asks.
            one_by_one = SETTINGS.model_copy(update={"delivery_batch": 1})
            sender = DeliverySender(repo, {ChannelKind.SMS: sms}, FakeClock(T0), one_by_one)
            for _ in range(3):
                assert await sender.run_once() == {"delivered": 0, "retry": 0, "failed": 1}
        finally:
            await sms.close()
    assert len(rx.requests) == 3          # all three reached Twilio: none was capped
    assert await repo.sms_sent("u1", T0.date()) == 0
    errors = [e for _, e in await _statuses(rules, "u1", rule.id)]
    assert not any("cap" in e for e in errors)
