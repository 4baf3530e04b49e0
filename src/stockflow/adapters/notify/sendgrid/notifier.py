"""The e-mail Notifier on SendGrid's v3 Mail Send API (`POST /v3/mail/send`, Bearer key).

A send answers 202 with an empty body and the message id in `X-Message-Id`; a bad request
answers 400 with `{"errors": [{"message", "field", "help"}]}`, which is final.
"""

from __future__ import annotations

import httpx
from email_validator import EmailNotValidError, validate_email
from pydantic import SecretStr

from stockflow.adapters.notify import vendor_http
from stockflow.alerts.ports import Message, SendResult

BASE_URL = "https://api.sendgrid.com"


def _describe(response: httpx.Response) -> tuple[str, str]:
    errors = vendor_http.json_or_empty(response).get("errors") if response.content else None
    text = "; ".join(f"{e.get('field') or '-'}: {e.get('message', '')}"
                     for e in errors or [] if isinstance(e, dict))
    return response.headers.get("x-message-id", ""), text


class SendGridNotifier:
    channel = "email"

    def __init__(self, api_key: SecretStr, sender: str, *, sender_name: str = "StockFlow",
                 base_url: str = BASE_URL) -> None:
        self.sender = validate_email(sender, check_deliverability=False).normalized
        self.sender_name = sender_name
        self._http = vendor_http.client(
            base_url, headers={"authorization": f"Bearer {api_key.get_secret_value()}"})

    def body(self, message: Message) -> dict:
        to = validate_email(message.recipient, check_deliverability=False).normalized
        content = [{"type": "text/plain", "value": message.text}]
        if message.html:
            content.append({"type": "text/html", "value": message.html})
        return {"personalizations": [{"to": [{"email": to}]}],
                "from": {"email": self.sender, "name": self.sender_name},
                # JSON carries the subject; SendGrid builds the header, so CR/LF cannot inject.
                "subject": " ".join(message.subject.split()),
                "content": content,
                "custom_args": {"delivery_id": message.delivery_id}}

    async def send(self, message: Message) -> SendResult:
        try:
            body = self.body(message)
        except EmailNotValidError as exc:
            return SendResult(ok=False, error=f"invalid address: {exc}", permanent=True)
        return await vendor_http.post(self._http, "/v3/mail/send", _describe, json=body)

    async def close(self) -> None:
        await self._http.aclose()
