"""Wire models of the future alerts API (`/v1/alerts`, `/v1/alerts/channels`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from stockflow.alerts.conditions import Condition
from stockflow.alerts.delivery import ChannelKind, DeliveryStatus
from stockflow.alerts.domain import AlertRule, FiringPolicy, RuleStatus

ChannelIds = Annotated[list[str], Field(min_length=1, max_length=10)]


class AlertCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200)
    condition: Condition
    policy: FiringPolicy | None = None
    channel_ids: ChannelIds


class AlertUpdate(AlertCreate):
    pass


class AlertOut(BaseModel):
    id: str
    name: str
    condition: Condition
    policy: FiringPolicy
    channel_ids: list[str]
    status: RuleStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: AlertRule) -> AlertOut:
        return cls(id=rule.id, name=rule.name, condition=rule.condition, policy=rule.policy,
                   channel_ids=list(rule.channel_ids), status=rule.status,
                   created_at=rule.created_at, updated_at=rule.updated_at)


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None = None


class HistoryOut(BaseModel):
    id: str
    event_id: str
    value: float | None = Field(None, allow_inf_nan=False)
    triggered_at: datetime
    detail: dict
    deliveries: list[DeliveryOut] = []


class DeliveryOut(BaseModel):
    id: str
    channel: ChannelKind
    status: DeliveryStatus
    attempts: int
    last_error: str
    delivered_at: datetime | None


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind
    target: str = Field(min_length=3, max_length=2048, description=(
        "https URL (webhook), e-mail address, E.164 number (sms) or apprise URL (push)."))


class ChannelOut(BaseModel):
    id: str
    kind: ChannelKind
    target: str
    verified: bool
    enabled: bool
    disabled_reason: str


class ChannelCreated(ChannelOut):
    secret: str | None = Field(None, description=(
        "Webhook signing secret (whsec_...), shown once, here only."))


HistoryOut.model_rebuild()
