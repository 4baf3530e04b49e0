"""Wire models of the alerts API (`/v1/alerts`, `/v1/alerts/channels`); they make the OpenAPI
description. Answers are enveloped as {"data": ..., "meta": ...}."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

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

    @classmethod
    def of(cls, row: dict[str, Any]) -> HistoryOut:
        return cls(id=row["id"], event_id=row["event_id"], value=row["value"],
                   triggered_at=row["triggered_at"], detail=row["detail"],
                   deliveries=[DeliveryOut(id=d.id, channel=d.channel, status=d.status,
                                           attempts=d.attempts, last_error=d.last_error,
                                           delivered_at=d.delivered_at)
                               for d in row.get("deliveries", [])])


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
    verification_sent: bool | None = Field(None, description=(
        "E-mail channels: whether the confirmation link was sent."))


class VerifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str | None = Field(None, min_length=16, max_length=200, description=(
        "The token of the e-mail confirmation link; leave out to send a new link or ping."))


class SendOut(BaseModel):
    ok: bool
    status: int | None = None
    error: str = ""


class DigestOut(BaseModel):
    id: str
    period: str
    period_start: datetime
    sent_at: datetime
    summary: dict[str, Any]
    deliveries: list[dict[str, Any]]


class _Envelope(BaseModel):
    meta: dict[str, Any]


class AlertEnvelope(_Envelope):
    data: AlertOut


class AlertsEnvelope(_Envelope):
    data: list[AlertOut]


class HistoryEnvelope(_Envelope):
    data: list[HistoryOut]


class ChannelEnvelope(_Envelope):
    data: ChannelOut


class ChannelsEnvelope(_Envelope):
    data: list[ChannelOut]


class ChannelCreatedEnvelope(_Envelope):
    data: ChannelCreated


class SendEnvelope(_Envelope):
    data: SendOut | list[dict[str, Any]]


class DigestsEnvelope(_Envelope):
    data: list[DigestOut]


HistoryOut.model_rebuild()
