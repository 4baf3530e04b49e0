"""Two evaluator instances over one store: each rebuilds its index from storage at start, and
rule CRUD in either reaches both through the pub/sub push (memory and real Redis); a lost push
is made good by the periodic catch-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.domain import RuleStatus
from stockflow.alerts.evaluator import AlertEvaluator
from stockflow.alerts.ports import InMemoryAlertStateStore
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.alerts.worker import IndexSync, publish_rule_change
from stockflow.core import registry
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import FakeClock
from stockflow.testing.services import require_service_url

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def body(channel_id: str, level: float = 200.0) -> AlertCreate:
    return AlertCreate.model_validate({"channel_ids": [channel_id], "condition": {
        "type": "price_above", "ticker": "AAPL", "level": level}})


@pytest.fixture(params=["memory", "redis"])
async def pubsubs(request):
    if request.param == "memory":
        one = registry.build("pubsub", "memory://")
        made = [one, one]
    else:
        url = require_service_url("STOCKFLOW_TEST_REDIS_URL", "Redis")
        made = [registry.build("pubsub", url), registry.build("pubsub", url)]
    yield made
    for p in {id(p): p for p in made}.values():
        await p.close()


async def test_crud_in_one_instance_reaches_every_index(repo, pubsubs):
    clock = FakeClock(T0)
    writer = AlertRules(repo, AlertsSettings(), clock, WebhookGuard(StaticResolver({})),
                        on_change=lambda rid: publish_rule_change(pubsubs[0], rid))
    channel, _ = await writer.add_channel(
        "u1", ChannelCreate(kind=ChannelKind.PUSH, target="ntfy://ntfy.sh/x"))
    stored = await writer.create("u1", "pro", body(channel.id))
    syncs = [IndexSync(AlertEvaluator(InMemoryAlertStateStore()), repo, ps, clock,
                       catchup_seconds=3600) for ps in pubsubs]
    for s in syncs:
        await s.start()
    try:
        assert all(stored.id in s.evaluator.index for s in syncs)     # rebuilt from storage
        added = await writer.create("u1", "pro", body(channel.id, 300.0))
        await eventually(lambda: all(added.id in s.evaluator.index for s in syncs))
        await writer.set_status("u1", added.id, RuleStatus.PAUSED)
        await eventually(lambda: all(added.id not in s.evaluator.index for s in syncs))
        await writer.delete("u1", stored.id)
        await eventually(lambda: all(stored.id not in s.evaluator.index for s in syncs))
    finally:
        for s in syncs:
            await s.stop()


async def test_a_lost_push_is_made_good_by_the_catch_up(repo):
    clock = FakeClock(T0)
    silent = AlertRules(repo, AlertsSettings(), clock, WebhookGuard(StaticResolver({})))
    channel, _ = await silent.add_channel(
        "u1", ChannelCreate(kind=ChannelKind.PUSH, target="ntfy://ntfy.sh/x"))
    pubsub = registry.build("pubsub", "memory://")
    sync = IndexSync(AlertEvaluator(InMemoryAlertStateStore()), repo, pubsub, clock,
                     catchup_seconds=3600)
    await sync.rebuild()
    clock.advance(10)
    rule = await silent.create("u1", "pro", body(channel.id))     # no push is sent
    assert rule.id not in sync.evaluator.index
    await sync.catch_up()
    assert rule.id in sync.evaluator.index
    await pubsub.close()
