"""Alerts repository contract on SQLite and on PostgreSQL (a schema per test)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.alerts.conditions import parse_condition
from stockflow.alerts.delivery import Channel, ChannelKind, Delivery, DeliveryStatus, record_attempt
from stockflow.alerts.domain import AlertRule, Firing, FiringPolicy, RuleStatus, Trigger
from stockflow.alerts.ports import SendResult
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.tables import alerts, metadata
from stockflow.testing.services import require_service_url

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


async def _create(db: SqlDatabase) -> None:
    async with db.engine.begin() as conn:
        if db.schema:
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
        await conn.run_sync(metadata.create_all)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def repo(request, tmp_path) -> AsyncIterator[SqlAlertRepository]:
    if request.param == "sqlite":
        db = SqlDatabase(f"sqlite:///{tmp_path / 'alerts.db'}")
        await db.connect()
        await _create(db)
        yield SqlAlertRepository(db)
        await db.close()
        return
    url = require_service_url("STOCKFLOW_TEST_POSTGRES_URL", "PostgreSQL")
    schema = f"contract_{uuid.uuid4().hex[:16]}"
    db = SqlDatabase(url, schema=schema)
    await db.connect()
    try:
        await _create(db)
        yield SqlAlertRepository(db)
    finally:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await db.close()


def rule(rule_id: str, user: str = "u1", mode: Firing = Firing.RECURRING,
         ticker: str = "AAPL", kind: str = "price_above") -> AlertRule:
    return AlertRule(id=rule_id, user_id=user, name=f"rule {rule_id}",
                     condition=parse_condition({"type": kind, "ticker": ticker, "level": 200}),
                     policy=FiringPolicy(mode=mode, cooldown_seconds=60), channel_ids=("c1",),
                     created_at=T0, updated_at=T0)


def delivery(d_id: str, history_id: str, alert_id: str = "a1", at: datetime = T0) -> Delivery:
    return Delivery(id=d_id, history_id=history_id, alert_id=alert_id, user_id="u1",
                    channel_id="c1", channel=ChannelKind.WEBHOOK,
                    payload={"type": "alert.triggered", "price": 201.5}, created_at=at)


async def test_rules_round_trip_and_are_scoped_by_user(repo):
    await repo.add_rule(rule("a1"))
    await repo.add_rule(rule("a2", kind="crosses_below", ticker="MSFT"))
    await repo.add_rule(rule("b1", user="u2"))
    assert await repo.get_rule("u1", "a1") == rule("a1")
    assert await repo.get_rule("u2", "a1") is None                      # BOLA: not found
    assert [r.id for r in await repo.list_rules("u1")] == ["a1", "a2"]
    assert [r.id for r in await repo.list_rules("u1", after="a1")] == ["a2"]
    assert [r.id for r in await repo.list_rules("u1", key="MSFT")] == ["a2"]
    assert [r.id for r in await repo.list_rules("u1", condition_type="price_above")] == ["a1"]
    assert await repo.count_rules("u1") == 2
    paused = rule("a1").model_copy(update={"status": RuleStatus.PAUSED, "name": "renamed"})
    assert await repo.update_rule(paused)
    assert not await repo.update_rule(paused.model_copy(update={"user_id": "u2"}))
    assert (await repo.get_rule("u1", "a1")).name == "renamed"
    assert [r.id for r in await repo.active_rules()] == ["a2", "b1"]
    assert not await repo.delete_rule("u2", "a2")
    assert await repo.delete_rule("u1", "a2")
    assert await repo.get_rule("u1", "a2") is None


async def test_rules_added_together_are_all_there_or_none_is(repo):
    await repo.add_rules([rule("a1"), rule("a2", ticker="MSFT"), rule("b1", user="u2")])
    assert [r.id for r in await repo.active_rules()] == ["a1", "a2", "b1"]
    with pytest.raises(sa.exc.IntegrityError):
        await repo.add_rules([rule("a3"), rule("a1")])        # a1 exists: the batch fails
    assert await repo.get_rule("u1", "a3") is None
    await repo.add_rules([])


async def test_trigger_writes_history_counters_and_deliveries_together(repo):
    await repo.add_rule(rule("a1", mode=Firing.ONE_SHOT))
    r = await repo.get_rule("u1", "a1")
    trig = Trigger(rule=r, event_id="q-1", value=201.5, at=T0, detail={"metric": "price"})
    assert await repo.record_trigger(trig, [delivery("msg_1", trig.history_id)])
    # The same event again (a redelivery) writes nothing at all.
    assert not await repo.record_trigger(trig, [delivery("msg_2", trig.history_id)])
    assert [d.id for d in await repo.deliveries_of(trig.history_id)] == ["msg_1"]
    (h,) = await repo.history("u1", "a1")
    assert (h["event_id"], h["value"], h["detail"]) == ("q-1", 201.5, {"metric": "price"})
    assert await repo.history("u2", "a1") == []
    assert (await repo.get_rule("u1", "a1")).status is RuleStatus.DONE


async def test_a_batch_of_firings_counts_each_once_and_skips_redeliveries(repo):
    await repo.add_rule(rule("rec"))
    await repo.add_rule(rule("one", mode=Firing.ONE_SHOT))
    rec, one = await repo.get_rule("u1", "rec"), await repo.get_rule("u1", "one")
    first = Trigger(rule=rec, event_id="q-1", value=1.0, at=T0)
    assert await repo.record_trigger(first, [delivery("msg_0", first.history_id)])
    batch = [Trigger(rule=rec, event_id="q-1", value=1.0, at=T0),      # redelivered: skipped
             Trigger(rule=rec, event_id="q-2", value=2.0, at=T0 + timedelta(seconds=2)),
             Trigger(rule=rec, event_id="q-3", value=3.0, at=T0 + timedelta(seconds=1)),
             Trigger(rule=one, event_id="q-2", value=2.0, at=T0)]
    written = await repo.record_triggers(
        [(t, [delivery(f"msg_{i + 1}", t.history_id)]) for i, t in enumerate(batch)])
    assert written == 3
    assert [d.id for d in await repo.deliveries_of(first.history_id)] == ["msg_0"]
    assert [h["event_id"] for h in await repo.history("u1", "rec")] == ["q-2", "q-3", "q-1"]
    rec, one = await repo.get_rule("u1", "rec"), await repo.get_rule("u1", "one")
    assert rec.status is RuleStatus.ACTIVE and one.status is RuleStatus.DONE
    async with repo.db.engine.connect() as conn:
        got = dict((await conn.execute(sa.select(alerts.c.id, alerts.c.fired_count))).all())
        last = (await conn.execute(sa.select(alerts.c.last_fired_at)
                                   .where(alerts.c.id == "rec"))).scalar_one()
    assert got == {"rec": 3, "one": 1}
    assert last.replace(tzinfo=None) == (T0 + timedelta(seconds=2)).replace(tzinfo=None)


async def test_a_failing_delivery_insert_rolls_the_history_back(repo):
    await repo.add_rule(rule("a1"))
    r = await repo.get_rule("u1", "a1")
    trig = Trigger(rule=r, event_id="q-1", value=201.5, at=T0)
    dup = delivery("msg_1", trig.history_id)
    with pytest.raises(Exception):   # noqa: B017 - the driver's IntegrityError, per dialect
        await repo.record_trigger(trig, [dup, dup])          # same primary key twice
    assert await repo.history("u1", "a1") == []
    assert (await repo.get_rule("u1", "a1")).status is RuleStatus.ACTIVE
    assert await repo.record_trigger(trig, [dup])             # and it can still be written


async def test_claim_lease_attempt_and_gone_disables_the_channel(repo):
    await repo.add_rule(rule("a1"))
    await repo.add_channel(Channel("c1", "u1", ChannelKind.WEBHOOK, "https://h.example/x",
                                   verified=True, secrets=("whsec_abc",)))
    r = await repo.get_rule("u1", "a1")
    for i in range(3):
        trig = Trigger(rule=r, event_id=f"q-{i}", value=201.0, at=T0)
        await repo.record_trigger(trig, [delivery(f"msg_{i}", trig.history_id,
                                                  at=T0 + timedelta(seconds=i))])
    claimed = await repo.claim_due(T0, limit=2, lease_seconds=30)
    assert [d.id for d in claimed] == ["msg_0", "msg_1"]
    assert [d.id for d in await repo.claim_due(T0, limit=10)] == ["msg_2"]   # leased ones skipped
    assert await repo.claim_due(T0 + timedelta(seconds=10)) == []
    again = await repo.claim_due(T0 + timedelta(seconds=31))           # a dead worker's lease
    assert {d.id for d in again} == {"msg_0", "msg_1"}
    ok = record_attempt(claimed[0], SendResult(ok=True, status=200), T0).delivery
    await repo.save_attempt(ok)
    gone = record_attempt(claimed[1], SendResult(ok=False, status=410), T0)
    await repo.save_attempt(gone.delivery, disable_channel=gone.disable_channel)
    d0 = await repo.deliveries_of("a1:q-0")
    d1 = await repo.deliveries_of("a1:q-1")
    assert d0[0].status is DeliveryStatus.DELIVERED and d0[0].delivered_at == T0
    assert d1[0].status is DeliveryStatus.FAILED and d1[0].last_status == 410
    channel = (await repo.get_channels(["c1"]))["c1"]
    assert not channel.enabled and channel.disabled_reason == "HTTP 410"
    assert channel.secrets == ("whsec_abc",)


async def test_concurrent_claims_never_share_a_row(repo):
    import asyncio

    await repo.add_rule(rule("a1"))
    r = await repo.get_rule("u1", "a1")
    for i in range(60):
        trig = Trigger(rule=r, event_id=f"q-{i}", value=201.0, at=T0)
        await repo.record_trigger(trig, [delivery(f"msg_{i:02d}", trig.history_id)])
    batches = await asyncio.gather(*(repo.claim_due(T0, limit=7) for _ in range(12)))
    ids = [d.id for b in batches for d in b]
    assert len(ids) == len(set(ids)) == 60


async def test_the_sms_allowance_is_per_user_and_day_and_never_oversold(repo):
    import asyncio

    day = T0.date()
    assert [await repo.take_sms("u1", day, 3) for _ in range(4)] == [True, True, True, False]
    assert await repo.take_sms("u2", day, 3)                        # another user
    assert await repo.take_sms("u1", day + timedelta(days=1), 3)    # the next UTC day
    await repo.give_back_sms("u1", day)
    assert await repo.take_sms("u1", day, 3)
    assert not await repo.take_sms("u1", day, 3)
    assert await repo.sms_sent("u1", day) == 3
    assert not await repo.take_sms("u3", day, 0)                    # a cap of 0 sends none
    # Workers taking slots at once (on PostgreSQL each on its own connection): exactly the cap.
    taken = await asyncio.gather(*(repo.take_sms("u4", day, 5) for _ in range(20)))
    assert sum(taken) == 5 and await repo.sms_sent("u4", day) == 5


async def test_old_sms_allowance_rows_are_forgotten(repo):
    day = T0.date()
    for back in (0, 1, 2, 30):
        assert await repo.take_sms("u1", day - timedelta(days=back), 3)
    assert await repo.forget_sms_usage(day - timedelta(days=1)) == 2
    assert [await repo.sms_sent("u1", day - timedelta(days=b)) for b in (0, 1, 2, 30)] == \
        [1, 1, 0, 0]


def _keys(n: int) -> list[str]:
    from cryptography.fernet import Fernet

    return [Fernet.generate_key().decode() for _ in range(n)]


async def _raw_channels(repo) -> dict[str, tuple[str, list[str]]]:
    import sqlalchemy as sa

    from stockflow.alerts.tables import alert_channels as t

    async with repo.db.engine.connect() as conn:
        rows = (await conn.execute(sa.select(t.c.id, t.c.target, t.c.secrets))).all()
    return {r.id: (r.target, list(r.secrets)) for r in rows}


HOOK = Channel(id="c1", user_id="u1", kind=ChannelKind.WEBHOOK,
               target="https://hooks.example.com/T0/B0/token-in-the-path",
               secrets=("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_old"))
PUSH = Channel(id="c2", user_id="u1", kind=ChannelKind.PUSH,
               target="tgram://123456:bot-token/987654")


async def test_channel_targets_and_secrets_are_sealed_at_rest(repo):
    from stockflow.alerts.sealing import ChannelCipher

    repo.use_cipher(ChannelCipher(_keys(1)))
    for c in (HOOK, PUSH):
        await repo.add_channel(c)
    raw = await _raw_channels(repo)
    for c in (HOOK, PUSH):
        target, secrets = raw[c.id]
        assert target.startswith("fernet:") and "token" not in target
        assert len(secrets) == len(c.secrets)
        assert all(s.startswith("fernet:") and "whsec_" not in s for s in secrets)
    assert await repo.get_channels(["c1", "c2"]) == {"c1": HOOK, "c2": PUSH}
    assert await repo.update_channel(replace(HOOK, secrets=("whsec_new",), verified=True))
    assert (await repo.list_channels("u1"))[0].secrets == ("whsec_new",)
    assert "whsec_new" not in str(await _raw_channels(repo))
    assert await repo.seal_channels() == 0                       # all under the first key


async def test_rows_from_before_sealing_are_sealed_and_keys_rotate(repo):
    from stockflow.alerts.sealing import ChannelCipher, SealError

    for c in (HOOK, PUSH):          # written by a version without sealing
        await repo.add_channel(c)
    assert (await _raw_channels(repo))["c1"][0] == HOOK.target
    old, new = _keys(2)
    repo.use_cipher(ChannelCipher([old]))
    assert await repo.get_channels(["c1"]) == {"c1": HOOK}     # readable before the pass
    assert await repo.seal_channels(batch=1) == 2              # paged, one row a page
    sealed = await _raw_channels(repo)
    assert all(t.startswith("fernet:") for t, _ in sealed.values())
    assert await repo.get_channels(["c1", "c2"]) == {"c1": HOOK, "c2": PUSH}
    # Rotation: the new key first, the old one still opens; the pass re-seals under the new.
    repo.use_cipher(ChannelCipher([new, old]))
    assert await repo.get_channels(["c1"]) == {"c1": HOOK}
    assert await repo.seal_channels() == 2
    assert await repo.seal_channels() == 0
    repo.use_cipher(ChannelCipher([new]))                       # the old key dropped
    assert await repo.get_channels(["c1", "c2"]) == {"c1": HOOK, "c2": PUSH}
    repo.use_cipher(ChannelCipher([old]))                       # only the retired key
    with pytest.raises(SealError):
        await repo.get_channels(["c1"])
