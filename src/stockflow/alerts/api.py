"""Alerts routes (`/v1/alerts`, `/v1/alerts/channels`): parse, call the service, shape.

Every path needs write:alerts (pro, enterprise); a webhook channel also needs write:webhooks
(enterprise), checked here because it depends on the body. Another user's rule, history or
channel is not found (404) on every method, never 403, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPBearer
from starlette.responses import Response

from stockflow.alerts import schemas
from stockflow.alerts.channels import ChannelService
from stockflow.alerts.delivery import Channel, ChannelKind
from stockflow.alerts.digests import Digests as DigestService
from stockflow.alerts.domain import RuleStatus
from stockflow.alerts.service import AlertRules
from stockflow.core.envelope import json_response
from stockflow.core.pagination import decode_cursor, encode_cursor
from stockflow.core.permissions import WRITE_ALERTS, WRITE_WEBHOOKS, Guard
from stockflow.core.principal import Principal, principal_of
from stockflow.core.problems import Problem, unauthorized
from stockflow.core.web import provide

PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, invalid or expired token", **PROBLEM},
    403: {"description": "The tier may not use alerts, webhooks, or more rules", **PROBLEM},
    404: {"description": "No such id among yours", **PROBLEM},
    422: {"description": "Invalid body or query", **PROBLEM}}
GUARDS = [Guard("/v1/alerts", WRITE_ALERTS)]
bearer = HTTPBearer(auto_error=False, description="An access token from POST /v1/auth/login")
channels = APIRouter(prefix="/v1/alerts/channels", tags=["alerts"], responses=ERRORS,
                     dependencies=[Depends(bearer)])
rules = APIRouter(prefix="/v1/alerts", tags=["alerts"], responses=ERRORS,
                  dependencies=[Depends(bearer)])
digests = APIRouter(prefix="/v1/alerts/digests", tags=["alerts"], responses=ERRORS,
                    dependencies=[Depends(bearer)])
# Fixed paths first: "/channels" and "/digests" are not rule ids.
ROUTERS = (channels, digests, rules)


async def caller(request: Request) -> Principal:
    principal = principal_of(request)
    if principal is None or principal.anonymous:
        raise unauthorized("sign in: alerts belong to an account", error="")
    return principal


Rules = Annotated[AlertRules, Depends(provide(AlertRules))]
Channels = Annotated[ChannelService, Depends(provide(ChannelService))]
Caller = Annotated[Principal, Depends(caller)]
Digests = Annotated[DigestService, Depends(provide(DigestService))]


def _webhooks_allowed(principal: Principal, kind: ChannelKind) -> None:
    if kind is ChannelKind.WEBHOOK and not principal.can(WRITE_WEBHOOKS):
        raise Problem(403, "Forbidden", "webhook channels need the write:webhooks permission "
                      "(enterprise tier)", required=WRITE_WEBHOOKS)


def _channel(c: Channel) -> dict[str, Any]:
    return schemas.ChannelOut(id=c.id, kind=c.kind, target=c.target, verified=c.verified,
                              enabled=c.enabled, disabled_reason=c.disabled_reason
                              ).model_dump(mode="json")


def _rule(rule: Any) -> dict[str, Any]:
    return schemas.AlertOut.of(rule).model_dump(mode="json")


# -- channels -----------------------------------------------------------------------------------

@channels.post("", status_code=201, response_model=schemas.ChannelCreatedEnvelope,
               summary="Add a channel; a webhook's signing secret is in this answer only")
async def add_channel(body: schemas.ChannelCreate, who: Caller, svc: Rules,
                      chans: Channels) -> Response:
    _webhooks_allowed(who, body.kind)
    channel, secret = await svc.add_channel(who.subject, body)
    sent = None
    if channel.kind is ChannelKind.EMAIL and channel.kind in chans.notifiers:
        sent = (await chans.send_verification(channel)).ok
    return json_response({**_channel(channel), "secret": secret, "verification_sent": sent},
                         status=201)


@channels.get("", response_model=schemas.ChannelsEnvelope, summary="Your channels")
async def list_channels(who: Caller, chans: Channels) -> Response:
    return json_response([_channel(c) for c in await chans.list(who.subject)])


@channels.get("/{channel_id}", response_model=schemas.ChannelEnvelope, summary="One channel")
async def get_channel(channel_id: str, who: Caller, chans: Channels) -> Response:
    return json_response(_channel(await chans.get(who.subject, channel_id)))


@channels.delete("/{channel_id}", status_code=204, summary="Remove a channel")
async def delete_channel(channel_id: str, who: Caller, chans: Channels) -> Response:
    await chans.delete(who.subject, channel_id)
    return Response(status_code=204)


@channels.post("/{channel_id}/verify", response_model=schemas.ChannelEnvelope,
               summary="Confirm an e-mail channel with its link's token, or verify a webhook "
                       "by a signed ping (a 2xx verifies it)")
async def verify_channel(channel_id: str, who: Caller, chans: Channels,
                         body: schemas.VerifyBody | None = None) -> Response:
    channel = await chans.get(who.subject, channel_id)
    _webhooks_allowed(who, channel.kind)
    if channel.kind is ChannelKind.EMAIL and body is not None and body.token:
        return json_response(_channel(await chans.confirm(who.subject, channel_id, body.token)))
    result = await chans.send_verification(channel)
    return json_response(_channel(await chans.get(who.subject, channel_id)),
                         sent=result.ok, status_code=result.status, error=result.error)


@channels.post("/{channel_id}/test", response_model=schemas.SendEnvelope,
               summary="Send a test ping to the channel now")
async def ping_channel(channel_id: str, who: Caller, chans: Channels) -> Response:
    channel = await chans.get(who.subject, channel_id)
    _webhooks_allowed(who, channel.kind)
    result = await chans.ping(channel)
    return json_response({"ok": result.ok, "status": result.status, "error": result.error})


@digests.get("", response_model=schemas.DigestsEnvelope,
             summary="The digests sent to you, newest first, with what each contained")
async def list_digests(who: Caller, svc: Digests,
                       limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
    rows = await svc.store.digests_of(who.subject, limit)
    return json_response([schemas.DigestOut.model_validate(r).model_dump(mode="json")
                          for r in rows])


# -- rules --------------------------------------------------------------------------------------

@rules.post("", status_code=201, response_model=schemas.AlertEnvelope,
            summary="Create an alert rule (the tier caps how many)")
async def create_rule(body: schemas.AlertCreate, who: Caller, svc: Rules) -> Response:
    return json_response(_rule(await svc.create(who.subject, who.tier, body)), status=201)


@rules.get("", response_model=schemas.AlertsEnvelope,
           summary="Your alert rules by id, with cursor pagination and filters")
async def list_rules(
    who: Caller, svc: Rules,
    status: RuleStatus | None = None,
    type: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    ticker: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    after = decode_cursor(cursor).get("after") if cursor else None
    page = await svc.repo.list_rules(who.subject, limit=limit + 1, after=after, status=status,
                                     condition_type=type, key=ticker and ticker.upper())
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor({"after": page[-1].id}) if more else None
    return json_response([_rule(r) for r in page], next_cursor=next_cursor, has_more=more)


@rules.get("/{alert_id}", response_model=schemas.AlertEnvelope, summary="One rule")
async def get_rule(alert_id: str, who: Caller, svc: Rules) -> Response:
    return json_response(_rule(await svc.get(who.subject, alert_id)))


@rules.put("/{alert_id}", response_model=schemas.AlertEnvelope, summary="Replace a rule")
async def put_rule(alert_id: str, body: schemas.AlertUpdate, who: Caller,
                   svc: Rules) -> Response:
    return json_response(_rule(await svc.update(who.subject, alert_id, body)))


@rules.delete("/{alert_id}", status_code=204, summary="Delete a rule and its history")
async def delete_rule(alert_id: str, who: Caller, svc: Rules) -> Response:
    await svc.delete(who.subject, alert_id)
    return Response(status_code=204)


@rules.get("/{alert_id}/history", response_model=schemas.HistoryEnvelope,
           summary="When the rule fired, newest first, with each delivery's outcome")
async def history(alert_id: str, who: Caller, svc: Rules,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    rows = await svc.history(who.subject, alert_id, limit=limit)
    return json_response([schemas.HistoryOut.of(r).model_dump(mode="json") for r in rows])


@rules.post("/{alert_id}/pause", response_model=schemas.AlertEnvelope, summary="Pause a rule")
async def pause(alert_id: str, who: Caller, svc: Rules) -> Response:
    return json_response(_rule(await svc.set_status(who.subject, alert_id, RuleStatus.PAUSED)))


@rules.post("/{alert_id}/resume", response_model=schemas.AlertEnvelope,
            summary="Resume a paused (or done) rule")
async def resume(alert_id: str, who: Caller, svc: Rules) -> Response:
    return json_response(_rule(await svc.set_status(who.subject, alert_id, RuleStatus.ACTIVE)))


@rules.post("/{alert_id}/test", response_model=schemas.SendEnvelope,
            summary="Send a test notification through the rule's channels now (not recorded)")
async def test_fire(alert_id: str, who: Caller, svc: Rules, chans: Channels) -> Response:
    rule = await svc.get(who.subject, alert_id)
    results = await chans.test_fire(who.subject, rule.channel_ids, {
        "alert_id": rule.id, "name": rule.name,
        "condition": rule.condition.model_dump(mode="json")})
    return json_response(results)
