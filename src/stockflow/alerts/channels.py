"""Use cases on a user's channels beyond creating them: list, delete, verify, ping, and the
test-fire of a rule through its channels.

Verification. A webhook is verified by a test ping that the receiver answers with a 2xx (the
ping is signed like every delivery, so it also proves the receiver holds the secret if it
checks). An e-mail address is verified by a link: the channel keeps the SHA-256 of a random
token (in its secrets column, never the token), the link carries the token, and posting it to
`/v1/alerts/channels/{id}/verify` marks the channel verified. SMS and push channels are taken
as given (the user typed the number or URL; no confirmation flow is built for them).
An unverified e-mail or webhook channel gets nothing else: deliveries to it fail with the
reason, and test pings and test-fires to it answer that it is not verified.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import NOT_VERIFIED, Channel, ChannelKind
from stockflow.alerts.ports import Message, Notifier, SendResult
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.service import SmsCap, render_payload
from stockflow.core.ports import Clock
from stockflow.core.problems import Problem, not_found

_TOKEN_MARK = "verify:"


def _digest(token: str) -> str:
    return _TOKEN_MARK + hashlib.sha256(token.encode()).hexdigest()


def _test_payload(kind: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": at.isoformat(), "data": data}


class ChannelService:
    def __init__(self, repo: SqlAlertRepository, notifiers: Any, clock: Clock,
                 settings: AlertsSettings) -> None:
        self.repo = repo
        self.notifiers = notifiers   # Mapping[ChannelKind, Notifier], built lazily
        self.clock = clock
        self.settings = settings
        self.sms = SmsCap(repo, clock, settings.sms_daily_cap)   # test SMS cost the same

    async def _send(self, channel: Channel, message: Message, *, verifying: bool = False
                    ) -> SendResult:
        if channel.unverified and not verifying:
            return SendResult(ok=False, permanent=True, error=NOT_VERIFIED)
        notifier = self._notifier(channel.kind)
        if channel.kind is ChannelKind.SMS:
            return await self.sms.send(channel.user_id, notifier, message)
        return await notifier.send(message)

    async def list(self, user_id: str) -> list[Channel]:
        return await self.repo.list_channels(user_id)

    async def get(self, user_id: str, channel_id: str) -> Channel:
        found = (await self.repo.get_channels([channel_id])).get(channel_id)
        if found is None or found.user_id != user_id:
            raise not_found("channel", channel_id)
        return found

    async def delete(self, user_id: str, channel_id: str) -> None:
        if not await self.repo.delete_channel(user_id, channel_id):
            raise not_found("channel", channel_id)

    def _notifier(self, kind: ChannelKind) -> Notifier:
        notifier = self.notifiers.get(kind)
        if notifier is None:
            raise Problem(503, "Channel Not Configured",
                          f"this installation has no {kind.value} provider configured")
        return notifier

    async def send_verification(self, channel: Channel) -> SendResult:
        """E-mail: a confirmation link; webhook: a signed ping, verified on a 2xx."""
        now = self.clock.now()
        if channel.kind is ChannelKind.WEBHOOK:
            result = await self.ping(channel, verifying=True)
            if result.ok:
                await self.repo.update_channel(replace(channel, verified=True))
            return result
        if channel.kind is not ChannelKind.EMAIL:
            return SendResult(ok=True)
        token = secrets.token_urlsafe(32)
        link = f"{self.settings.verify_url}?{urlencode({'channel': channel.id, 'token': token})}"
        await self.repo.update_channel(replace(channel, secrets=(_digest(token),)))
        text = f"Confirm that StockFlow may send alerts to this address:\n{link}"
        payload = _test_payload("channel.verify", now, title="Confirm your alert e-mail",
                                text=text)
        return await self._notifier(channel.kind).send(
            render_payload(f"verify_{uuid.uuid4().hex}", payload, channel))

    async def confirm(self, user_id: str, channel_id: str, token: str) -> Channel:
        channel = await self.get(user_id, channel_id)
        stored = channel.secrets[0] if channel.secrets else ""
        if channel.kind is not ChannelKind.EMAIL or not stored.startswith(_TOKEN_MARK) or \
                not hmac.compare_digest(stored, _digest(token)):
            raise Problem(422, "Invalid Verification Token",
                          "the token does not match this channel's latest confirmation link")
        verified = replace(channel, verified=True, secrets=())
        await self.repo.update_channel(verified)
        return verified

    async def ping(self, channel: Channel, *, verifying: bool = False) -> SendResult:
        """A signed test ping; to an unverified channel only as its verification."""
        payload = _test_payload("channel.ping", self.clock.now(), channel_id=channel.id,
                                title="StockFlow test ping")
        return await self._send(channel, render_payload(f"msg_ping_{uuid.uuid4().hex}",
                                                        payload, channel), verifying=verifying)

    async def test_fire(self, user_id: str, channel_ids: tuple[str, ...], rule: dict[str, Any]
                        ) -> list[dict[str, Any]]:
        """Send a test notification of a rule through its channels now; nothing is recorded."""
        found = await self.repo.get_channels(list(channel_ids))
        results = []
        for cid in channel_ids:
            channel = found.get(cid)
            if channel is None or channel.user_id != user_id:
                continue
            payload = _test_payload("alert.test", self.clock.now(), **rule,
                                    title=f"Test: {rule.get('name') or 'StockFlow alert'}")
            result = await self._send(channel, render_payload(f"msg_test_{uuid.uuid4().hex}",
                                                              payload, channel))
            results.append({"channel_id": cid, "ok": result.ok, "status": result.status,
                            "error": result.error})
        return results


def message_for(channel: Channel, subject: str, text: str, at: datetime,
                message_id: str, **data: Any) -> Message:
    """A message that is no firing (a digest): its text as given, `data` in the payload."""
    return render_payload(message_id, _test_payload("digest", at, title=subject, text=text,
                                                    **data), channel)
