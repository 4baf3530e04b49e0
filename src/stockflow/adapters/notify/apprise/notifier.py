"""The push/chat Notifier through apprise URLs (`ntfy://`, `tgram://`, `slack://`, `discord://`,
`json://`, ...): one library speaking each service's own API.

Only schemes in `schemes` are accepted. Schemes whose URL names a server of the user's choosing
(json, xml, form, gotify, apprise, ntfy with a host) have that host checked by the webhook SSRF
guard first; apprise then makes its own connection (its own lookup, so unlike webhooks the
address is not pinned: a known, documented gap for those schemes).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import apprise

from stockflow.alerts.ports import Message, SendResult
from stockflow.alerts.ssrf import UrlRefused, WebhookGuard

DEFAULT_SCHEMES = ("ntfy", "ntfys", "tgram", "slack", "discord", "msteams", "pover", "gotify",
                   "gotifys", "matrix", "matrixs", "json", "jsons")
_SERVER_SCHEMES = {"json": "http", "jsons": "https", "xml": "http", "xmls": "https",
                   "form": "http", "forms": "https", "gotify": "http", "gotifys": "https",
                   "apprise": "http", "apprises": "https", "ntfy": "http", "ntfys": "https"}


class AppriseNotifier:
    channel = "push"

    def __init__(self, guard: WebhookGuard, *, schemes: Sequence[str] = DEFAULT_SCHEMES) -> None:
        self.guard = guard
        self.schemes = frozenset(s.lower() for s in schemes)

    async def check(self, url: str) -> None:
        """Refuse a URL of another scheme, or one whose server is inside our network."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in self.schemes:
            raise UrlRefused(f"apprise scheme {scheme or '(none)'!r} is not enabled")
        web = _SERVER_SCHEMES.get(scheme)
        # ntfy://topic is the public ntfy.sh; only ntfy://host/topic names a server.
        if web and not (scheme.startswith("ntfy") and parts.path.strip("/") == ""):
            port = f":{parts.port}" if parts.port else ""
            await self.guard.check(f"{web}://{parts.hostname or ''}{port}/")

    async def send(self, message: Message) -> SendResult:
        try:
            await self.check(message.recipient)
        except UrlRefused as exc:
            return SendResult(ok=False, error=f"refused: {exc.reason}", permanent=True)
        except ValueError as exc:
            return SendResult(ok=False, error=f"invalid URL: {exc}", permanent=True)
        client = apprise.Apprise()
        if not client.add(message.recipient):
            return SendResult(ok=False, error="apprise does not understand this URL",
                              permanent=True)
        sent = await client.async_notify(body=message.text, title=message.subject)
        if not sent:
            return SendResult(ok=False, error="the service did not accept the notification")
        return SendResult(ok=True)
