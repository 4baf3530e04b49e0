"""The webhook sender against a real local receiver, reachable only through the allow-list."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from stockflow.adapters.notify.webhook.sender import WebhookNotifier
from stockflow.alerts.ports import Message
from stockflow.alerts.signing import generate_secret
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.core.clock import SystemClock

from .receiver import ENDLESS, Receiver

SECRET = generate_secret()


def message(url: str, **kw) -> Message:
    return Message(delivery_id="msg_abc123", recipient=url, subject="AAPL above 200",
                   text="AAPL above 200", payload={"type": "alert.triggered", "price": 201.5},
                   secrets=(SECRET,), **kw)


async def send(guard: WebhookGuard, url: str, **kw):
    notifier = WebhookNotifier(guard, SystemClock(), **kw)
    try:
        return await notifier.send(message(url))
    finally:
        await notifier.close()


async def test_refused_without_the_allow_list_and_nothing_reaches_the_receiver():
    with Receiver() as rx:
        result = await send(WebhookGuard(), rx.url + "/hook")
        assert not result.ok and result.permanent and "refused" in result.error
        assert rx.requests == []


async def test_delivered_through_the_allow_list_signed_and_verifiable():
    with Receiver() as rx:
        result = await send(WebhookGuard(allowed=["127.0.0.1/32"]), rx.url + "/hook")
        assert result.ok and result.status == 204
        (req,) = rx.requests
        assert req.path == "/hook" and req.headers["webhook-id"] == "msg_abc123"
        assert Webhook(SECRET).verify(req.body, req.headers) == {"type": "alert.triggered",
                                                                 "price": 201.5}


async def test_connects_to_the_checked_address_with_the_name_in_host():
    # The name resolves once, to the receiver; the request carries the name, not the address.
    resolver = StaticResolver({"hooks.stockflow.test": ["127.0.0.1"]})
    with Receiver() as rx:
        guard = WebhookGuard(resolver, allowed=["hooks.stockflow.test"])
        result = await send(guard, f"http://hooks.stockflow.test:{rx.port}/h")
        assert result.ok and resolver.calls == 1
        assert rx.requests[0].headers["host"] == f"hooks.stockflow.test:{rx.port}"


def _certificate(tmp_path, name: str):
    """A self-signed certificate for `name`: the server's context and a client trusting it."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = tmp_path / f"{name}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = tmp_path / f"{name}.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(pem, key_file)
    return server, ssl.create_default_context(cafile=str(pem))


async def test_https_connects_to_the_checked_address_and_verifies_the_name(tmp_path):
    # The connection goes to the address the guard resolved, while TLS asks for (SNI) and
    # verifies the URL's name: the certificate of hooks.stockflow.test is accepted...
    server, client = _certificate(tmp_path, "hooks.stockflow.test")
    resolver = StaticResolver({"hooks.stockflow.test": ["127.0.0.1"]})
    guard = WebhookGuard(resolver, allowed=["hooks.stockflow.test"])
    with Receiver(tls=server) as rx:
        result = await send(guard, f"https://hooks.stockflow.test:{rx.port}/h", tls=client)
        assert result.ok, result.error
        assert rx.sni == ["hooks.stockflow.test"] and resolver.calls == 1
        assert rx.requests[0].headers["host"] == f"hooks.stockflow.test:{rx.port}"
    # ...and one made for another name is refused, with nothing sent.
    other, trusting_other = _certificate(tmp_path, "elsewhere.stockflow.test")
    with Receiver(tls=other) as rx:
        result = await send(guard, f"https://hooks.stockflow.test:{rx.port}/h",
                            tls=trusting_other)
        assert not result.ok and "certificate" in result.error.lower()
        assert rx.requests == []


async def test_redirects_are_not_followed():
    def redirect(req):
        return 302, {"location": "http://169.254.169.254/latest/meta-data/"}, b""
    with Receiver(redirect) as rx:
        result = await send(WebhookGuard(allowed=["127.0.0.1/32"]), rx.url + "/hook")
        assert not result.ok and result.status == 302 and "redirect" in result.error
        assert len(rx.requests) == 1


@pytest.mark.parametrize("status", [410, 500, 429])
async def test_error_statuses_are_reported(status):
    with Receiver(lambda req: (status, {}, b"{}")) as rx:
        result = await send(WebhookGuard(allowed=["127.0.0.1/32"]), rx.url)
        assert not result.ok and result.status == status


async def test_an_endless_answer_is_cut_at_the_cap():
    # Without the cap the sender would read until its deadline and report a timeout.
    with Receiver(lambda req: (200, {}, ENDLESS)) as rx:
        result = await send(WebhookGuard(allowed=["127.0.0.1/32"]), rx.url, max_body=1024,
                            timeout=2)
        assert result.ok, result.error


async def test_a_receiver_that_never_answers_times_out():
    import socket
    with socket.socket() as silent:        # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        result = await send(WebhookGuard(allowed=["127.0.0.1/32"]),
                            f"http://127.0.0.1:{port}/", timeout=0.5)
        assert not result.ok and "no answer" in result.error


async def test_missing_secret_is_a_permanent_failure():
    notifier = WebhookNotifier(WebhookGuard(allowed=["127.0.0.1/32"]), SystemClock())
    try:
        result = await notifier.send(Message("m1", "http://127.0.0.1:1/", "s", "t"))
    finally:
        await notifier.close()
    assert not result.ok and result.permanent
    assert json.dumps(result.error)
