"""The e-mail Notifier on SMTP: `smtp://user:pass@host:587` (STARTTLS, required) or
`smtps://user:pass@host:465` (TLS from the first byte); `?starttls=false` only for a relay on the
same host. The message is built with the stdlib e-mail package under the SMTP policy, which
refuses CR/LF in any header, and addresses are checked first, so nothing a user typed can add a
header or a recipient. smtplib runs in a worker thread; each send is one short session.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

from stockflow.alerts.ports import Message, SendResult
from stockflow.core.ports import Clock

TIMEOUT_SECONDS = 15.0


class SmtpNotifier:
    channel = "email"

    def __init__(self, url: str, sender: str, clock: Clock, *,
                 ssl_context: ssl.SSLContext | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("the SMTP URL must start with smtp:// or smtps://")
        self.implicit_tls = parts.scheme == "smtps"
        options = parse_qs(parts.query)
        self.starttls = not self.implicit_tls and options.get("starttls", ["true"])[0] != "false"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = _address(sender)
        self.clock = clock
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    def build(self, message: Message) -> EmailMessage:
        """The MIME message: plain text, and an HTML alternative when there is one."""
        mail = EmailMessage(policy=SMTP)
        mail["From"] = self.sender
        mail["To"] = _address(message.recipient)
        mail["Subject"] = message.subject      # the SMTP policy raises on CR or LF
        mail["Date"] = format_datetime(self.clock.now())
        mail["Message-ID"] = make_msgid(idstring=message.delivery_id[:64],
                                        domain=self.sender.domain)
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    async def send(self, message: Message) -> SendResult:
        try:
            mail = self.build(message)
        except (ValueError, EmailNotValidError) as exc:
            return SendResult(ok=False, error=f"invalid message: {exc}"[:300], permanent=True)
        try:
            await asyncio.to_thread(self._send_sync, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult(ok=False, error=f"recipient refused: {exc.recipients}"[:300],
                              permanent=True)
        except smtplib.SMTPResponseException as exc:
            # 5xx answers are final (RFC 5321 §4.2.1), 4xx are worth another try.
            return SendResult(ok=False, status=exc.smtp_code, permanent=exc.smtp_code >= 500,
                              error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:300])
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
        return SendResult(ok=True, status=250, provider_id=str(mail["Message-ID"]))

    def _send_sync(self, mail: EmailMessage) -> None:
        if self.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                    context=self.ssl_context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=self.ssl_context)   # refuses a server without it
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(mail)


def _address(text: str) -> Address:
    """A checked address; raises EmailNotValidError (also for CR/LF or a second address)."""
    checked = validate_email(text, check_deliverability=False)
    local, _, domain = checked.normalized.rpartition("@")
    return Address(addr_spec=f"{local}@{domain}")
