"""Use cases of the alerts context: rules and channels of a user, recording firings into the
outbox, and sending what the outbox holds. Each takes its ports and settings in the constructor.
"""

from __future__ import annotations

import asyncio
import html
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from stockflow.alerts.conditions import Source
from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import (
    NOT_VERIFIED,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    is_e164,
    record_attempt,
)
from stockflow.alerts.domain import AlertRule, FiringPolicy, RuleStatus, Trigger
from stockflow.alerts.evaluator import AlertEvaluator, Fired, QuoteSeen
from stockflow.alerts.ports import Message, Notifier, SendResult
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.rulecache import DEFAULT_SIZE, FiredRules
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.signing import generate_secret
from stockflow.alerts.ssrf import UrlRefused, WebhookGuard
from stockflow.core.catalogue import ALERT_DELIVERED, ALERT_FAILED, ALERT_TRIGGERED
from stockflow.core.ports import Clock, EventBus
from stockflow.core.problems import Problem, invalid, not_found


def _new_id() -> str:
    return str(uuid.uuid4())


class AlertRules:
    """Rule and channel CRUD on behalf of one user; other users' rows are simply not found."""

    def __init__(self, repo: SqlAlertRepository, settings: AlertsSettings, clock: Clock,
                 guard: WebhookGuard, new_id: Callable[[], str] = _new_id, *,
                 on_change: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.repo = repo
        # Told the id of every rule created, changed or deleted: evaluators re-read it.
        self.on_change = on_change
        self.settings = settings
        self.clock = clock
        self.guard = guard
        self.new_id = new_id

    async def create(self, user_id: str, tier: str, body: AlertCreate) -> AlertRule:
        limit = self.settings.max_rules_by_tier.get(tier, 0)
        if await self.repo.count_rules(user_id) >= limit:
            raise Problem(403, "Rule Limit Reached",
                          f"the {tier} tier allows {limit} alert rules", limit=limit)
        await self._own_channels(user_id, body.channel_ids)
        now = self.clock.now()
        rule = AlertRule(id=self.new_id(), user_id=user_id, name=body.name,
                         condition=body.condition, policy=self._policy(body),
                         channel_ids=tuple(body.channel_ids), created_at=now, updated_at=now)
        await self.repo.add_rule(rule)
        await self._changed(rule.id)
        return rule

    def _policy(self, body: AlertCreate) -> FiringPolicy:
        return body.policy or FiringPolicy(cooldown_seconds=self.settings.default_cooldown_seconds)

    async def get(self, user_id: str, rule_id: str) -> AlertRule:
        rule = await self.repo.get_rule(user_id, rule_id)
        if rule is None:
            raise not_found("alert", rule_id)
        return rule

    async def update(self, user_id: str, rule_id: str, body: AlertCreate) -> AlertRule:
        rule = await self.get(user_id, rule_id)
        await self._own_channels(user_id, body.channel_ids)
        new = rule.model_copy(update={
            "name": body.name, "condition": body.condition, "policy": self._policy(body),
            "channel_ids": tuple(body.channel_ids), "updated_at": self.clock.now()})
        await self.repo.update_rule(new)
        await self._changed(rule_id)
        return new

    async def set_status(self, user_id: str, rule_id: str, status: RuleStatus) -> AlertRule:
        """Pause or resume (a done one-shot rule is resumed by updating it)."""
        rule = await self.get(user_id, rule_id)
        new = rule.model_copy(update={"status": status, "updated_at": self.clock.now()})
        await self.repo.update_rule(new)
        await self._changed(rule_id)
        return new

    async def delete(self, user_id: str, rule_id: str) -> None:
        if not await self.repo.delete_rule(user_id, rule_id):
            raise not_found("alert", rule_id)
        await self._changed(rule_id)

    async def _changed(self, rule_id: str) -> None:
        if self.on_change is not None:
            await self.on_change(rule_id)

    async def history(self, user_id: str, rule_id: str, *, limit: int = 50) -> list[dict]:
        await self.get(user_id, rule_id)
        rows = await self.repo.history(user_id, rule_id, limit=limit)
        for row in rows:
            row["deliveries"] = await self.repo.deliveries_of(row["id"])
        return rows

    async def add_channel(self, user_id: str, body: ChannelCreate) -> tuple[Channel, str | None]:
        """A new channel, and its webhook secret (returned once, never shown again)."""
        self.check_target(body.kind, body.target)
        secret = generate_secret() if body.kind is ChannelKind.WEBHOOK else None
        channel = Channel(id=self.new_id(), user_id=user_id, kind=body.kind, target=body.target,
                          secrets=(secret,) if secret else ())
        await self.repo.add_channel(channel)
        return channel, secret

    def check_target(self, kind: ChannelKind, target: str) -> None:
        if kind is ChannelKind.WEBHOOK:
            try:
                self.guard.parse(target)
            except UrlRefused as exc:
                raise invalid(f"webhook URL refused: {exc.reason}") from None
        elif kind is ChannelKind.SMS and not is_e164(target):
            raise invalid("an SMS channel needs an E.164 number such as +15558675310")
        elif kind is ChannelKind.EMAIL:
            try:
                validate_email(target, check_deliverability=False)
            except EmailNotValidError as exc:
                raise invalid(f"not an e-mail address: {exc}") from None

    async def _own_channels(self, user_id: str, channel_ids: Sequence[str]) -> None:
        found = await self.repo.get_channels(channel_ids)
        missing = [c for c in channel_ids if c not in found or found[c].user_id != user_id]
        if missing:
            raise not_found("channel", missing[0])


def _payload(trigger: Trigger, fired: Fired) -> dict[str, Any]:
    rule = trigger.rule
    cond = rule.condition.model_dump(mode="json")
    title = rule.name or f"{cond['type']} on {rule.condition.key}"
    return {"type": ALERT_TRIGGERED.name, "timestamp": trigger.at.isoformat(),
            "data": {"alert_id": rule.id, "name": rule.name, "title": title, "condition": cond,
                     "metric": fired.metric, "value": fired.value, "previous": fired.previous,
                     "event_id": fired.event_id, "history_id": trigger.history_id}}


class TriggerRecorder:
    """Evaluator firings into history + outbox; evaluation state is written only after that.

    `alert.triggered` is published for every firing whose history row exists once recording is
    done, new or written before (a redelivered event), so a crash between the commit and the
    publish loses no event; consumers de-duplicate by the payload's `history_id`."""

    def __init__(self, evaluator: AlertEvaluator, repo: SqlAlertRepository,
                 new_id: Callable[[], str] = lambda: "msg_" + uuid.uuid4().hex, *,
                 bus: EventBus | None = None, wake: Callable[[], None] | None = None,
                 cache_size: int = DEFAULT_SIZE) -> None:
        self.evaluator = evaluator
        self.repo = repo
        self.rules = FiredRules(repo, cache_size)
        self.new_id = new_id
        self.bus = bus
        self.wake = wake

    async def on_quotes(self, quotes: Sequence[QuoteSeen]) -> int:
        fired = await self.evaluator.on_quotes(quotes, commit=False)
        return await self._record_then_commit(fired)

    async def on_values(self, key: str, values: Mapping[str, float], event_id: str,
                        at: datetime) -> int:
        fired = await self.evaluator.on_values(key, values, event_id, at, commit=False)
        return await self._record_then_commit(fired)

    async def on_event(self, source: Source, key: str, event_id: str, at: datetime,
                       **facts: Any) -> int:
        fired = await self.evaluator.on_event(source, key, event_id, at, commit=False, **facts)
        return await self._record_then_commit(fired)

    async def _record_then_commit(self, fired: list[Fired]) -> int:
        if not fired:
            await self.evaluator.commit()
            return 0
        try:
            written, payloads = await self._record(fired)
            if self.bus is not None and payloads:
                await self.bus.publish_many(ALERT_TRIGGERED.name, [
                    ALERT_TRIGGERED.event(p["data"], key=p["data"]["alert_id"])
                    for p in payloads])
        except BaseException:
            self.evaluator.rollback()
            raise
        await self.evaluator.commit()
        if written and self.wake is not None:
            self.wake()
        return written

    async def record(self, fired: list[Fired]) -> int:
        """Write each firing with its deliveries; returns how many were new (not redeliveries)."""
        return (await self._record(fired))[0]

    async def _record(self, fired: list[Fired]) -> tuple[int, list[dict[str, Any]]]:
        # Only rules active in storage now: deleted or paused since the index saw them, they
        # are dropped here.
        rules = await self.rules.active(list({f.rule_id for f in fired}))
        kinds = await self.repo.channel_kinds(
            list({c for r in rules.values() for c in r.channel_ids}))
        items, payloads = [], []
        for f in fired:
            rule = rules.get(f.rule_id)
            if rule is None:
                continue
            trigger = Trigger(rule, f.event_id, f.value, f.at, {"metric": f.metric})
            payload = _payload(trigger, f)
            deliveries = [Delivery(id=self.new_id(), history_id=trigger.history_id,
                                   alert_id=rule.id, user_id=rule.user_id, channel_id=cid,
                                   channel=kind, payload=payload, created_at=f.at)
                          for cid in rule.channel_ids if (kind := kinds.get(cid))]
            items.append((trigger, deliveries))
            payloads.append(payload)
        written = await self.repo.record_triggers(items) if items else 0
        return written, payloads


def render(delivery: Delivery, channel: Channel) -> Message:
    """The channel-neutral message of a delivery: subject, plain text, escaped HTML."""
    return render_payload(delivery.id, delivery.payload, channel)


def render_payload(message_id: str, payload: dict[str, Any], channel: Channel) -> Message:
    data = payload.get("data", {})
    subject = " ".join(str(data.get("title", "StockFlow alert")).split())[:200]
    text = data.get("text") or (f"{subject}\n{data.get('metric', 'value')}: "
                                f"{data.get('value')}\nat {payload.get('timestamp')}")
    body = "".join(f"<p>{html.escape(line)}</p>" for line in str(text).splitlines())
    return Message(delivery_id=message_id, recipient=channel.target, subject=subject,
                   text=str(text), html=body, payload=payload, secrets=channel.secrets)


class SmsCap:
    """The per-user daily SMS cap (`sms_daily_cap`, UTC days) around a send. A slot is taken in
    storage before the provider is called (so restarts and other workers see it) and given
    back when the provider did not take the message. A capped message fails for good."""

    def __init__(self, repo: SqlAlertRepository, clock: Clock, cap: int) -> None:
        self.repo, self.clock, self.cap = repo, clock, cap

    async def send(self, user_id: str, notifier: Notifier, message: Message) -> SendResult:
        day = self.clock.now().astimezone(UTC).date()
        if not await self.repo.take_sms(user_id, day, self.cap):
            return SendResult(ok=False, permanent=True, error=(
                f"not sent: the daily SMS cap of {self.cap} per user is reached "
                "(it resets at 00:00 UTC)"))
        result = await notifier.send(message)
        if not result.ok:
            await self.repo.give_back_sms(user_id, day)
        return result


class DeliverySender:
    """Claims due outbox rows, sends each through its channel's notifier, records the outcome,
    and publishes `alert.delivered` or `alert.failed` (after the row is saved: a crash before
    the publish sends the row again, so the event is at least once, keyed by delivery id)."""

    def __init__(self, repo: SqlAlertRepository, notifiers: Mapping[ChannelKind, Notifier],
                 clock: Clock, settings: AlertsSettings, *, bus: EventBus | None = None) -> None:
        self.repo = repo
        self.notifiers = notifiers
        self.clock = clock
        self.settings = settings
        self.bus = bus
        self.policy = RetryPolicy(tuple(settings.retry_delays_seconds), settings.retry_jitter)
        self.sms = SmsCap(repo, clock, settings.sms_daily_cap)

    async def run_once(self, *, retries_only: bool = False) -> dict[str, int]:
        now = self.clock.now()
        due = await self.repo.claim_due(now, limit=self.settings.delivery_batch,
                                        lease_seconds=self.settings.delivery_lease_seconds,
                                        retries_only=retries_only)
        channels = await self.repo.get_channels(list({d.channel_id for d in due}))
        results = await asyncio.gather(*(self._send(d, channels.get(d.channel_id)) for d in due))
        counts = {"delivered": 0, "retry": 0, "failed": 0}
        events = []
        now = self.clock.now()
        outcomes = [record_attempt(d, r, now, self.policy)
                    for d, r in zip(due, results, strict=True)]
        if outcomes:
            await self.repo.save_attempts([(o.delivery, o.disable_channel) for o in outcomes])
        for outcome in outcomes:
            status = outcome.delivery.status
            counts["retry" if status is DeliveryStatus.PENDING else status.value] += 1
            if status is not DeliveryStatus.PENDING:
                events.append(outcome.delivery)
        await self._publish(events)
        return counts

    async def _publish(self, done: list[Delivery]) -> None:
        if self.bus is None or not done:
            return
        for topic, status in ((ALERT_DELIVERED, DeliveryStatus.DELIVERED),
                              (ALERT_FAILED, DeliveryStatus.FAILED)):
            batch = [topic.event(_outcome(d), key=d.alert_id) for d in done if d.status is status]
            if batch:
                await self.bus.publish_many(topic.name, batch)

    async def _send(self, delivery: Delivery, channel: Channel | None) -> SendResult:
        if channel is None or not channel.enabled:
            return SendResult(ok=False, permanent=True, error="the channel is gone or disabled")
        if channel.unverified:
            return SendResult(ok=False, permanent=True, error=NOT_VERIFIED)
        notifier = self.notifiers.get(channel.kind)
        if notifier is None:
            return SendResult(ok=False, error=f"no {channel.kind.value} notifier configured")
        if channel.kind is ChannelKind.SMS:
            return await self.sms.send(delivery.user_id, notifier, render(delivery, channel))
        return await notifier.send(render(delivery, channel))


def _outcome(d: Delivery) -> dict[str, Any]:
    return {"delivery_id": d.id, "alert_id": d.alert_id, "user_id": d.user_id,
            "history_id": d.history_id, "channel": d.channel.value, "attempts": d.attempts,
            "status": d.status.value, "last_status": d.last_status, "error": d.last_error}
