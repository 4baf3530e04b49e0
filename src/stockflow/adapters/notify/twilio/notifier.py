"""The SMS Notifier on Twilio's Messages API
(`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form body, HTTP Basic SID:token).

Numbers must be E.164 (`+` and up to 15 digits, a possible number for its country); anything
else is refused before a request is made. 201 carries the message `sid`; an error body carries
Twilio's `code` (21211: invalid To number) and is final for a 4xx.
"""

from __future__ import annotations

import re

import httpx
from pydantic import SecretStr

from stockflow.adapters.notify import vendor_http
from stockflow.alerts.delivery import is_e164
from stockflow.alerts.ports import Message, SendResult

BASE_URL = "https://api.twilio.com"
MAX_BODY_CHARS = 1600            # Twilio's limit for one message body


def _describe(response: httpx.Response) -> tuple[str, str]:
    data = vendor_http.json_or_empty(response)
    if not isinstance(data, dict):
        return "", ""
    error = f"{data['code']}: {data.get('message', '')}" if data.get("code") else ""
    return str(data.get("sid", "")), error


class TwilioNotifier:
    channel = "sms"

    def __init__(self, account_sid: str, auth_token: SecretStr, sender: str, *,
                 base_url: str = BASE_URL) -> None:
        if not re.fullmatch(r"AC[0-9a-fA-F]{32}", account_sid):
            raise ValueError("a Twilio account SID is AC followed by 32 hex digits")
        if not (is_e164(sender) or re.fullmatch(r"MG[0-9a-fA-F]{32}", sender)):
            raise ValueError("the sender must be an E.164 number or a Messaging Service SID")
        self.account_sid = account_sid
        self.sender = sender
        self._http = vendor_http.client(base_url,
                                        auth=(account_sid, auth_token.get_secret_value()))

    def form(self, message: Message) -> dict[str, str]:
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        return {"To": message.recipient, sender_field: self.sender,
                "Body": message.text[:MAX_BODY_CHARS]}

    async def send(self, message: Message) -> SendResult:
        if not is_e164(message.recipient):
            return SendResult(ok=False, error="the number is not in E.164 form (+15558675310)",
                              permanent=True)
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return await vendor_http.post(self._http, path, _describe, data=self.form(message))

    async def close(self) -> None:
        await self._http.aclose()
