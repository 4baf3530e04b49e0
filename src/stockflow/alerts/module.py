"""The alerts context (seed 002 §8): users' rules, the evaluator fed by bus events, the outbox
and its notifiers, digests. Routes under /v1/alerts; the `alerts` worker evaluates and delivers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from stockflow.alerts.config import AlertsSettings, NotifySettings
from stockflow.core.module import ContextModule, ContextParts, Plan, Platform, Worker

SERVICE = "alerts"
WORKER = "alerts"


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.alerts import handlers, tasks
    from stockflow.alerts.channels import ChannelService
    from stockflow.alerts.digest_repository import SqlDigestStore
    from stockflow.alerts.digests import Digests
    from stockflow.alerts.notifiers import Notifiers
    from stockflow.alerts.ports import Deliveries
    from stockflow.alerts.repository import SqlAlertRepository
    from stockflow.alerts.service import AlertRules, DeliverySender
    from stockflow.alerts.ssrf import WebhookGuard
    from stockflow.alerts.worker import publish_rule_change
    from stockflow.market.ports import MarketReader
    from stockflow.users.ports import Watchlists

    s, n = p.settings.alerts, p.settings.notify
    repo = SqlAlertRepository(p.db)
    guard = WebhookGuard(allowed=s.webhook_allowed_hosts, ports=s.webhook_allowed_ports)
    notifiers = Notifiers(notify=n, alerts=s, clock=p.clock, guard=guard)

    async def changed(rule_id: str) -> None:
        await publish_rule_change(p.pubsub, rule_id)

    rules = AlertRules(repo, s, p.clock, guard, on_change=changed)
    chans = ChannelService(repo, notifiers, p.clock, s)
    news = SqlDigestStore(p.db)
    digests = Digests(news, repo, notifiers, p.ports.find(Watchlists),
                      p.ports.find(MarketReader), p.clock, s)

    @cache
    def sender() -> DeliverySender:
        return DeliverySender(repo, notifiers, p.clock, s, bus=p.bus)

    @cache   # one worker per process: the start hook and the worker list share it
    def worker() -> Worker:
        return _worker(p, repo, sender(), handlers, news.remember_news)

    async def index_rules() -> None:
        # Before the bus subscriptions start: a handler held waiting for the index would let
        # its events' redelivery counts climb (a slow start looks like a dead consumer).
        await worker().unit.index.start()

    async def load_channel_keys() -> None:
        # Every process shape reads or writes channels, so every one needs the keys.
        from stockflow.alerts.sealing import load_cipher

        repo.use_cipher(load_cipher([k.get_secret_value() for k in s.channel_keys],
                                    s.channel_keys_file, p.settings.data_dir))

    async def seal_channels() -> None:
        # Rows from before sealing or under a rotated-out key, sealed under the first key.
        await repo.seal_channels()

    parts = ContextParts(
        "alerts", ports={AlertRules: rules, ChannelService: chans, Digests: digests,
                         Deliveries: digests},
        jobs=tasks.jobs(sender, digests), workers={WORKER: worker},
        on_start=[load_channel_keys, *([seal_channels, index_rules] if plan.runs(WORKER)
                                       else [])], on_stop=[notifiers.close])
    if plan.serves(SERVICE):
        from stockflow.alerts import api

        parts.routers += list(api.ROUTERS)
        parts.guards += api.GUARDS
    return parts


def _worker(p: Platform, repo: Any, sender: Any, handlers: Any, remember_news: Any) -> Worker:
    """The evaluator with its index kept in step, the recorder and the delivery loop."""
    from stockflow.alerts.baselines import VolumeBaselines
    from stockflow.alerts.evaluator import AlertEvaluator
    from stockflow.alerts.service import TriggerRecorder
    from stockflow.alerts.worker import AlertsUnit, DeliveryLoop, IndexSync
    from stockflow.core import registry
    from stockflow.market.ports import MarketReader

    s = p.settings.alerts
    state = registry.build("alertstate", s.state_url)
    evaluator = AlertEvaluator(state)
    loop = DeliveryLoop(sender, poll_seconds=s.delivery_poll_seconds)
    recorder = TriggerRecorder(evaluator, repo, bus=p.bus, wake=loop.wake,
                               cache_size=s.fired_rules_cached)
    index = IndexSync(evaluator, repo, p.pubsub, p.clock, catchup_seconds=s.index_catchup_seconds)
    baselines = VolumeBaselines(evaluator, p.ports.find(MarketReader), p.clock,
                                every_seconds=s.volume_baseline_seconds)
    unit = AlertsUnit(evaluator, recorder, index, loop, state)
    # Loops stop in reverse: the sender, the baselines, the index, then the unit, which closes
    # the state.
    return Worker(WORKER, handlers=handlers.handlers(recorder, index.loaded, remember_news),
                  loops=[unit, index, baselines, loop], unit=unit)


MODULE = ContextModule(
    name="alerts",
    build=build,
    settings={"alerts": AlertsSettings, "notify": NotifySettings},
    services=(SERVICE,),
    workers=(WORKER,),
    tables="stockflow.alerts.tables",
    migrations="stockflow.alerts.migrations",
    enabled=lambda settings: settings.alerts.enabled,
)
