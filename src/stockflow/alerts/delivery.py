"""Delivery domain: the outbox row, the retry schedule, and what an answer does to an endpoint.

A trigger writes one `Delivery` per channel of its rule, `pending`, in the same transaction as its
state change; the delivery worker sends it and records the attempt here. Retry schedule: the one
Svix publishes for its Standard Webhooks service (the Standard Webhooks spec leaves the schedule
to the sender): right away, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure,
each delay ±10 % jitter so a burst of failures does not retry in lockstep. After the last one the
delivery is `failed` for good. A permanent answer (HTTP 410 Gone, an invalid phone number) fails
it at once, and a 410 also disables the channel.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import phonenumbers

from stockflow.alerts.ports import SendResult

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Seconds after each failed attempt (attempt 1 is immediate, at trigger time).
STANDARD_SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ERROR_CHARS = 500
NOT_VERIFIED = ("not sent: the channel is not verified (POST /v1/alerts/channels/{id}/verify: "
                "the e-mail link's token, or a webhook's signed ping answered with a 2xx)")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"          # apprise URLs: ntfy, Telegram, Slack, Discord, ...


@dataclass(frozen=True, slots=True)
class Channel:
    """A user's delivery target. Webhook channels carry their signing secrets (newest first)."""

    id: str
    user_id: str
    kind: ChannelKind
    target: str                      # URL, e-mail address, E.164 number or apprise URL
    verified: bool = False
    enabled: bool = True
    disabled_reason: str = ""
    secrets: tuple[str, ...] = ()

    @property
    def unverified(self) -> bool:
        """An e-mail or webhook channel not yet confirmed: it gets nothing but its verification
        (the link, the signed ping). SMS and push have no confirmation flow."""
        return self.kind in (ChannelKind.EMAIL, ChannelKind.WEBHOOK) and not self.verified

    def disabled(self, reason: str) -> Channel:
        return replace(self, enabled=False, disabled_reason=reason[:MAX_ERROR_CHARS])


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    delays: tuple[float, ...] = STANDARD_SCHEDULE
    jitter: float = 0.1

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def next_delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float | None:
        """Seconds until the next try after `attempts` failures; None once they are used up."""
        if attempts < 1 or attempts > len(self.delays):
            return None
        base = self.delays[attempts - 1]
        return base * (1.0 + self.jitter * (2.0 * rand() - 1.0))


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the outbox (`alert_deliveries`)."""

    id: str                      # also the webhook-id: receivers de-duplicate by it
    history_id: str
    alert_id: str
    user_id: str
    channel_id: str
    channel: ChannelKind
    payload: dict[str, Any]
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    last_status: int | None = None
    delivered_at: datetime | None = None
    provider_id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def due(self) -> datetime:
        return self.next_attempt_at or self.created_at


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    delivery: Delivery
    disable_channel: bool = False     # HTTP 410: the receiver says the endpoint is gone


def record_attempt(delivery: Delivery, result: SendResult, now: datetime,
                   policy: RetryPolicy = RetryPolicy(),
                   rand: Callable[[], float] = random.random) -> AttemptOutcome:
    """The delivery after one try: delivered, scheduled again, or failed for good."""
    attempts = delivery.attempts + 1
    if result.ok:
        return AttemptOutcome(replace(
            delivery, status=DeliveryStatus.DELIVERED, attempts=attempts, delivered_at=now,
            next_attempt_at=None, last_status=result.status, last_error="",
            provider_id=result.provider_id))
    error = (result.error or f"HTTP {result.status}")[:MAX_ERROR_CHARS]
    gone = result.status == 410
    delay = None if (result.permanent or gone) else policy.next_delay(attempts, rand)
    if delay is None:
        return AttemptOutcome(replace(
            delivery, status=DeliveryStatus.FAILED, attempts=attempts, next_attempt_at=None,
            last_status=result.status, last_error=error), disable_channel=gone)
    return AttemptOutcome(replace(
        delivery, attempts=attempts, next_attempt_at=now + timedelta(seconds=delay),
        last_status=result.status, last_error=error))


def is_e164(number: str) -> bool:
    """`+` and 7-15 digits that make a possible number for their country code."""
    if not _E164.fullmatch(number):
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(parsed)
