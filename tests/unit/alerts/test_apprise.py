"""apprise notifier against a real local json:// endpoint, behind the SSRF guard."""

from __future__ import annotations

import json

from stockflow.adapters.notify.apprise.notifier import AppriseNotifier
from stockflow.alerts.ports import Message
from stockflow.alerts.ssrf import WebhookGuard

from .receiver import Receiver


def msg(url: str) -> Message:
    return Message(delivery_id="d1", recipient=url, subject="AAPL above 200",
                   text="AAPL is at 201.50")


async def test_json_endpoint_receives_title_and_body_when_allow_listed():
    with Receiver(lambda req: (200, {}, b"{}")) as rx:
        n = AppriseNotifier(WebhookGuard(allowed=["127.0.0.1/32"]))
        result = await n.send(msg(f"json://127.0.0.1:{rx.port}/notify"))
        assert result.ok, result.error
        (req,) = rx.requests
        body = json.loads(req.body)
        assert req.path == "/notify"
        assert (body["title"], body["message"]) == ("AAPL above 200", "AAPL is at 201.50")


async def test_inside_hosts_are_refused_without_the_allow_list():
    with Receiver(lambda req: (200, {}, b"{}")) as rx:
        result = await AppriseNotifier(WebhookGuard()).send(
            msg(f"json://127.0.0.1:{rx.port}/notify"))
        assert not result.ok and result.permanent and rx.requests == []


async def test_a_failing_endpoint_is_reported():
    with Receiver(lambda req: (500, {}, b"{}")) as rx:
        n = AppriseNotifier(WebhookGuard(allowed=["127.0.0.1/32"]))
        result = await n.send(msg(f"json://127.0.0.1:{rx.port}/notify"))
        assert not result.ok and not result.permanent and len(rx.requests) >= 1


async def test_disabled_schemes_and_garbage_are_refused():
    n = AppriseNotifier(WebhookGuard(), schemes=["ntfy"])
    for url in ("json://example.com/x", "mailto://a@b.c", "not a url", "ntfys://"):
        result = await n.send(msg(url))
        assert not result.ok and result.permanent, url
