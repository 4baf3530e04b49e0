"""Alerts storage on SQL (SQLite and PostgreSQL): rules, channels, history and the outbox.

Every read and write of a user's rows is scoped by user id, so another user's rule is simply not
found (404, never 403). `record_trigger` is the outbox write: the history row, the rule's new
counters and status, and one pending delivery per channel commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockflow.alerts.channelrows import SqlChannelRows
from stockflow.alerts.conditions import parse_condition
from stockflow.alerts.delivery import ChannelKind, Delivery, DeliveryStatus
from stockflow.alerts.domain import AlertRule, FiringPolicy, RuleStatus, Trigger
from stockflow.alerts.tables import (
    alert_channels,
    alert_deliveries,
    alert_history,
    alert_sms_usage,
    alerts,
)

_DELIVERY_FIELDS = tuple(c.name for c in alert_deliveries.c)


def _rule_values(rule: AlertRule) -> dict[str, Any]:
    return {"id": rule.id, "user_id": rule.user_id, "name": rule.name,
            "condition_type": rule.condition.type, "key": rule.condition.key,
            "condition": rule.condition.model_dump(mode="json"),
            "policy": rule.policy.model_dump(mode="json"), "channel_ids": list(rule.channel_ids),
            "status": rule.status.value, "created_at": rule.created_at,
            "updated_at": rule.updated_at}


def _rule(row: Any) -> AlertRule:
    return AlertRule(id=row.id, user_id=row.user_id, name=row.name,
                     condition=parse_condition(row.condition),
                     policy=FiringPolicy.model_validate(row.policy),
                     channel_ids=tuple(row.channel_ids), status=RuleStatus(row.status),
                     created_at=row.created_at, updated_at=row.updated_at)




def _delivery_values(d: Delivery) -> dict[str, Any]:
    # Field by field, not dataclasses.asdict: asdict deep-copies the payload, and this runs
    # for every row of the outbox on the delivery path.
    values = {k: getattr(d, k) for k in _DELIVERY_FIELDS}
    values["channel"] = d.channel.value
    values["status"] = d.status.value
    return values


# The parameters of the batched writes below are named apart from the columns they set
# (SQLAlchemy reserves a column's own name in an UPDATE's SET).
_FIRED = (alerts.update().where(alerts.c.id == sa.bindparam("b_id"))
          .values(fired_count=alerts.c.fired_count + sa.bindparam("b_n"),
                  last_fired_at=sa.bindparam("b_at")))
_FIRED_ONE_SHOT = _FIRED.values(status=RuleStatus.DONE.value)
_ATTEMPT = (alert_deliveries.update().where(alert_deliveries.c.id == sa.bindparam("b_id"))
            .values(**{k: sa.bindparam(f"b_{k}") for k in _DELIVERY_FIELDS if k != "id"}))


def _delivery(row: Any) -> Delivery:
    m = row._mapping
    return Delivery(**{**{k: m[k] for k in _DELIVERY_FIELDS},
                       "channel": ChannelKind(m["channel"]), "status": DeliveryStatus(m["status"])})


class SqlAlertRepository(SqlChannelRows):
    """Rules, history, the outbox and SMS allowances; channels come from `SqlChannelRows`."""

    # -- rules ---------------------------------------------------------------------------------

    async def add_rule(self, rule: AlertRule) -> None:
        await self.add_rules([rule])

    async def add_rules(self, rules: Sequence[AlertRule]) -> None:
        """Several rules in one transaction (an import, a test's or bench's universe)."""
        if not rules:
            return
        async with self.db.engine.begin() as conn:
            await conn.execute(alerts.insert(), [_rule_values(r) for r in rules])

    async def get_rule(self, user_id: str, rule_id: str) -> AlertRule | None:
        stmt = sa.select(alerts).where(alerts.c.id == rule_id, alerts.c.user_id == user_id)
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return _rule(row) if row is not None else None

    async def get_rules(self, rule_ids: Sequence[str]) -> dict[str, AlertRule]:
        """By id across users: for the evaluator, which works on behalf of the platform."""
        if not rule_ids:
            return {}
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(alerts).where(alerts.c.id.in_(rule_ids)))).all()
        return {r.id: _rule(r) for r in rows}

    async def rule_versions(self, rule_ids: Sequence[str]
                            ) -> dict[str, tuple[RuleStatus, datetime]]:
        """Status and updated_at by id, across users: the recorder's check before it uses
        the copy of a rule it parsed before (alerts/rulecache.py)."""
        if not rule_ids:
            return {}
        stmt = (sa.select(alerts.c.id, alerts.c.status, alerts.c.updated_at)
                .where(alerts.c.id.in_(rule_ids)))
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {r.id: (RuleStatus(r.status), r.updated_at) for r in rows}

    async def list_rules(self, user_id: str, *, limit: int = 50, after: str | None = None,
                         status: RuleStatus | None = None, condition_type: str | None = None,
                         key: str | None = None) -> list[AlertRule]:
        """A page ordered by id; `after` is the last id of the previous page (the cursor)."""
        stmt = sa.select(alerts).where(alerts.c.user_id == user_id)
        for column, value in ((alerts.c.status, status and status.value),
                              (alerts.c.condition_type, condition_type), (alerts.c.key, key)):
            if value is not None:
                stmt = stmt.where(column == value)
        if after:
            stmt = stmt.where(alerts.c.id > after)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(alerts.c.id).limit(limit))).all()
        return [_rule(r) for r in rows]

    async def count_rules(self, user_id: str) -> int:
        stmt = sa.select(sa.func.count()).select_from(alerts).where(alerts.c.user_id == user_id)
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def active_rules(self, *, after: str | None = None, limit: int = 10_000
                           ) -> list[AlertRule]:
        """All users' active rules by id, a page at a time: the index rebuild at start."""
        stmt = sa.select(alerts).where(alerts.c.status == RuleStatus.ACTIVE.value)
        if after:
            stmt = stmt.where(alerts.c.id > after)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(alerts.c.id).limit(limit))).all()
        return [_rule(r) for r in rows]

    async def changed_since(self, since: datetime) -> list[AlertRule]:
        """Rules of any status updated at or after `since`: the index's periodic catch-up."""
        stmt = sa.select(alerts).where(alerts.c.updated_at >= since).order_by(alerts.c.id)
        async with self.db.engine.connect() as conn:
            return [_rule(r) for r in (await conn.execute(stmt)).all()]

    async def update_rule(self, rule: AlertRule) -> bool:
        values = _rule_values(rule)
        for fixed in ("id", "user_id", "created_at"):
            values.pop(fixed)
        stmt = (alerts.update().where(alerts.c.id == rule.id, alerts.c.user_id == rule.user_id)
                .values(**values))
        async with self.db.engine.begin() as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def delete_rule(self, user_id: str, rule_id: str) -> bool:
        where = (alerts.c.id == rule_id, alerts.c.user_id == user_id)
        async with self.db.engine.begin() as conn:
            # History and deliveries go with the rule (ON DELETE CASCADE is not on in every
            # SQLite connection, so say it explicitly).
            if (await conn.execute(sa.select(alerts.c.id).where(*where))).first() is None:
                return False
            await conn.execute(alert_deliveries.delete().where(
                alert_deliveries.c.alert_id == rule_id))
            await conn.execute(alert_history.delete().where(alert_history.c.alert_id == rule_id))
            await conn.execute(alerts.delete().where(*where))
        return True

    # -- triggers and the outbox ---------------------------------------------------------------

    async def record_trigger(self, trigger: Trigger, deliveries: Sequence[Delivery]) -> bool:
        """History row + rule counters/status + pending deliveries, in one transaction.

        False when this (rule, event) was recorded before: a redelivered event writes nothing.
        """
        return await self.record_triggers([(trigger, deliveries)]) == 1

    async def record_triggers(self, items: Sequence[tuple[Trigger, Sequence[Delivery]]]) -> int:
        """`record_trigger` for a batch of firings in one transaction (one commit per bus
        batch, not per firing); returns how many were new.

        Three statements per batch, not three per firing: the history rows in one insert
        that returns which were new, the rules' counters as one executemany, the new
        firings' deliveries as another."""
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        rows = [{"id": t.history_id, "alert_id": t.rule.id, "user_id": t.rule.user_id,
                 "event_id": t.event_id, "value": t.value, "detail": t.detail,
                 "triggered_at": t.at} for t, _ in items]
        async with self.db.engine.begin() as conn:
            # An executemany with RETURNING: SQLAlchemy batches it into multi-row inserts
            # from one cached statement (a .values(list) would be compiled anew per batch).
            stmt = (insert(alert_history).on_conflict_do_nothing()
                    .returning(alert_history.c.id))
            new = set((await conn.execute(stmt, rows)).scalars()) if rows else set()
            fired = [(t, d) for t, d in items if t.history_id in new]
            counters: dict[str, dict[str, Any]] = {}
            for trigger, _ in fired:   # a recurring rule may fire twice in one batch
                c = counters.setdefault(trigger.rule.id, {"b_id": trigger.rule.id, "b_n": 0,
                                                          "b_at": trigger.at})
                c["b_n"] += 1
                c["b_at"] = max(c["b_at"], trigger.at)
            one_shot = {t.rule.id for t, _ in fired if t.rule.policy.mode.value == "one_shot"}
            for stmt, group in ((_FIRED_ONE_SHOT, [c for k, c in counters.items()
                                                   if k in one_shot]),
                                (_FIRED, [c for k, c in counters.items() if k not in one_shot])):
                if group:
                    await conn.execute(stmt, group)
            outbox = [_delivery_values(d) for _, ds in fired for d in ds]
            if outbox:
                await conn.execute(alert_deliveries.insert(), outbox)
        return len(fired)

    async def claim_due(self, now: datetime, *, limit: int = 100,
                        lease_seconds: float = 60.0, retries_only: bool = False
                        ) -> list[Delivery]:
        """Pending deliveries that are due, leased to this worker for `lease_seconds`.

        The lease is the new next_attempt_at, so a worker that dies mid-send leaves rows that
        become due again (at-least-once; receivers de-duplicate by webhook-id). PostgreSQL
        workers skip each other's locked rows; SQLite has one writer anyway.
        """
        t = alert_deliveries
        due = (sa.select(t.c.id).where(t.c.status == DeliveryStatus.PENDING.value,
                                       sa.or_(t.c.next_attempt_at.is_(None),
                                              t.c.next_attempt_at <= now))
               .where(t.c.attempts > 0 if retries_only else sa.true())
               .order_by(t.c.next_attempt_at, t.c.created_at).limit(limit)
               .with_for_update(skip_locked=True))
        stmt = (t.update().where(t.c.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
                .returning(*t.c))
        async with self.db.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
        return sorted((_delivery(r) for r in rows), key=lambda d: d.created_at)

    async def save_attempt(self, delivery: Delivery, *, disable_channel: bool = False) -> None:
        """The delivery after a try; a 410 also disables its channel, in the same transaction."""
        await self.save_attempts([(delivery, disable_channel)])

    async def save_attempts(self, outcomes: Sequence[tuple[Delivery, bool]]) -> None:
        """A round's attempts in one transaction and one executemany: (delivery, disable its
        channel)."""
        if not outcomes:
            return
        rows = [{f"b_{k}": v for k, v in _delivery_values(d).items()} for d, _ in outcomes]
        async with self.db.engine.begin() as conn:
            await conn.execute(_ATTEMPT, rows)
            for delivery, disable_channel in outcomes:
                if disable_channel:
                    await conn.execute(alert_channels.update()
                                       .where(alert_channels.c.id == delivery.channel_id)
                                       .values(enabled=False, disabled_reason=(
                                           delivery.last_error or "HTTP 410 Gone")))

    # -- the SMS daily cap ----------------------------------------------------------------------

    async def take_sms(self, user_id: str, day: date, cap: int) -> bool:
        """One SMS of the user's allowance for `day` (UTC); False once `cap` are taken.

        One statement, an upsert whose update only runs below the cap: PostgreSQL locks the
        row for it and re-checks the condition, so two workers cannot both take the last one.
        """
        if cap <= 0:
            return False
        t = alert_sms_usage
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        stmt = (insert(t).values(user_id=user_id, day=day, sent=1)
                .on_conflict_do_update(index_elements=[t.c.user_id, t.c.day],
                                       set_={"sent": t.c.sent + 1}, where=t.c.sent < cap)
                .returning(t.c.sent))
        async with self.db.engine.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def give_back_sms(self, user_id: str, day: date) -> None:
        """The provider did not take the message: its slot is free again."""
        t = alert_sms_usage
        async with self.db.engine.begin() as conn:
            await conn.execute(t.update().where(t.c.user_id == user_id, t.c.day == day,
                                                t.c.sent > 0).values(sent=t.c.sent - 1))

    async def sms_sent(self, user_id: str, day: date) -> int:
        t = alert_sms_usage
        stmt = sa.select(t.c.sent).where(t.c.user_id == user_id, t.c.day == day)
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar() or 0)

    async def forget_sms_usage(self, before: date) -> int:
        """Drop the allowance rows of days before `before`: a cap only ever reads today's, so
        older rows are history nobody asks for, one row per user and day for ever otherwise."""
        t = alert_sms_usage
        async with self.db.engine.begin() as conn:
            return (await conn.execute(t.delete().where(t.c.day < before))).rowcount or 0

    async def delivered_count(self) -> int:
        """Deliveries that reached their channel (operators' health view, the benchmark)."""
        stmt = sa.select(sa.func.count()).where(
            alert_deliveries.c.status == DeliveryStatus.DELIVERED.value)
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def deliveries_of(self, history_id: str) -> list[Delivery]:
        stmt = (sa.select(alert_deliveries).where(alert_deliveries.c.history_id == history_id)
                .order_by(alert_deliveries.c.id))
        async with self.db.engine.connect() as conn:
            return [_delivery(r) for r in (await conn.execute(stmt)).all()]

    async def history(self, user_id: str, alert_id: str, *, limit: int = 50,
                      before: datetime | None = None) -> list[dict[str, Any]]:
        """Newest first; another user's alert has no history (empty, and the API answers 404)."""
        h = alert_history
        stmt = sa.select(h).where(h.c.alert_id == alert_id, h.c.user_id == user_id)
        if before is not None:
            stmt = stmt.where(h.c.triggered_at < before)
        stmt = stmt.order_by(h.c.triggered_at.desc(), h.c.id.desc()).limit(limit)
        async with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(stmt)).all()]
