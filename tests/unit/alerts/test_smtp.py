"""SMTP notifier against a real aiosmtpd server: STARTTLS + AUTH, implicit TLS, no injection."""

from __future__ import annotations

import email
import socket
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from stockflow.adapters.notify.smtp.notifier import SmtpNotifier
from stockflow.alerts.ports import Message
from stockflow.testing.fakes import FakeClock

from .tls import client_context, make_cert, server_context


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"alerts", b"s3cret:/@")
        return AuthResult(success=ok, handled=False)   # handled=False: aiosmtpd answers 535


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cert(tmp_path):
    return make_cert(tmp_path)


@pytest.fixture
def starttls_server(cert):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port,
                            tls_context=server_context(*cert), require_starttls=True,
                            authenticator=inbox.authenticate, auth_required=True)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def ssl_server(cert):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port,
                            ssl_context=server_context(*cert))
    controller.start()
    yield inbox, port
    controller.stop()


def msg(**kw) -> Message:
    base = {"delivery_id": "dlv_1", "recipient": "ana@example.com",
            "subject": "AAPL crossed 200", "text": "AAPL is at 201.50", "html": "<b>201.50</b>"}
    return Message(**{**base, **kw})


async def test_starttls_with_auth_delivers_text_and_html(starttls_server, cert):
    inbox, port = starttls_server
    notifier = SmtpNotifier(f"smtp://alerts:s3cret%3A%2F%40@127.0.0.1:{port}",
                            "alerts@stockflow.example", FakeClock(),
                            ssl_context=client_context(cert[0]))
    result = await notifier.send(msg())
    assert result.ok, result.error
    (mail_from, rcpts, raw), = inbox.mails
    assert (mail_from, rcpts) == ("alerts@stockflow.example", ["ana@example.com"])
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == "AAPL crossed 200"
    assert parsed.get_body(("plain",)).get_content().strip() == "AAPL is at 201.50"
    assert parsed.get_body(("html",)).get_content().strip() == "<b>201.50</b>"
    assert inbox.logins == [(b"alerts", b"s3cret:/@")]


async def test_wrong_password_is_a_permanent_failure(starttls_server, cert):
    inbox, port = starttls_server
    notifier = SmtpNotifier(f"smtp://alerts:nope@127.0.0.1:{port}", "alerts@stockflow.example",
                            FakeClock(), ssl_context=client_context(cert[0]))
    result = await notifier.send(msg())
    assert not result.ok and result.status == 535 and result.permanent
    assert inbox.mails == []


async def test_a_server_certificate_we_do_not_trust_is_refused(starttls_server):
    _, port = starttls_server
    notifier = SmtpNotifier(f"smtp://alerts:s3cret@127.0.0.1:{port}", "alerts@stockflow.example",
                            FakeClock())
    result = await notifier.send(msg())
    assert not result.ok and "SSL" in result.error


async def test_implicit_tls(ssl_server, cert):
    inbox, port = ssl_server
    notifier = SmtpNotifier(f"smtps://127.0.0.1:{port}", "alerts@stockflow.example",
                            FakeClock(), ssl_context=client_context(cert[0]))
    result = await notifier.send(msg(html=None))
    assert result.ok, result.error
    assert len(inbox.mails) == 1


@pytest.mark.parametrize("bad", [
    {"subject": "hi\r\nBcc: victim@example.com"},
    {"subject": "hi\nX-Evil: 1"},
    {"recipient": "ana@example.com\r\nBcc: victim@example.com"},
    {"recipient": "ana@example.com, victim@example.com"},
    {"recipient": "not an address"},
])
async def test_header_injection_is_impossible(ssl_server, cert, bad):
    inbox, port = ssl_server
    notifier = SmtpNotifier(f"smtps://127.0.0.1:{port}", "alerts@stockflow.example",
                            FakeClock(), ssl_context=client_context(cert[0]))
    result = await notifier.send(msg(**bad))
    assert not result.ok and result.permanent
    assert inbox.mails == []
