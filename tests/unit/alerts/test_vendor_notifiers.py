"""SendGrid v3 and Twilio Messages notifiers over real local HTTP, answering the vendors'
recorded bodies (tests/fixtures/payloads/sendgrid, twilio)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from stockflow.adapters.notify.sendgrid.notifier import SendGridNotifier
from stockflow.adapters.notify.twilio.notifier import TwilioNotifier
from stockflow.alerts.delivery import is_e164
from stockflow.alerts.ports import Message

from .receiver import Receiver

PAYLOADS = Path(__file__).parents[2] / "fixtures" / "payloads"
SG_202 = (PAYLOADS / "sendgrid" / "v3_mail_send_202_empty_body.txt").read_bytes()
SG_400 = (PAYLOADS / "sendgrid" /
          "v3_mail_send_400_missing_from_personalizations_content.json").read_bytes()
TW_201 = (PAYLOADS / "twilio" / "accounts_messages_create_201_queued_client_mock.json").read_bytes()
TW_400 = (PAYLOADS / "twilio" / "error_21211_invalid_to_number_docs_example.json").read_bytes()
SID = "AC" + "a" * 32


def sendgrid_answer(req):
    body = json.loads(req.body)
    if req.headers.get("authorization") != "Bearer SG.test-key" or not body.get("from"):
        return 400, {"content-type": "application/json"}, SG_400
    return 202, {"content-type": "text/plain; charset=utf-8",
                 "x-message-id": "LrnZRsWQTPy-ItZ3IJR2vQ"}, SG_202


async def send_via(answer, make, recipient):
    """Send one message with the notifier `make(base_url)` builds, to a receiver answering so."""
    with Receiver(answer) as rx:
        notifier = make(rx.url)
        try:
            return await notifier.send(msg(recipient)), rx.requests
        finally:
            await notifier.close()


def sendgrid(key: str = "SG.test-key"):
    return lambda url: SendGridNotifier(SecretStr(key), "alerts@stockflow.example", base_url=url)


def twilio(url: str) -> TwilioNotifier:
    return TwilioNotifier(SID, SecretStr("token"), "+14155552345", base_url=url)


def msg(recipient: str, **kw) -> Message:
    return Message(delivery_id="dlv_9", recipient=recipient, subject="AAPL\r\nBcc: x@y.z",
                   text="AAPL crossed 200 👍", html="<p>AAPL crossed 200</p>", **kw)


async def test_sendgrid_sends_the_v3_body_and_reads_the_message_id():
    result, requests = await send_via(sendgrid_answer, sendgrid(), "ana@example.com")
    assert result.ok and result.status == 202 and result.provider_id == "LrnZRsWQTPy-ItZ3IJR2vQ"
    (req,) = requests
    assert req.path == "/v3/mail/send"
    body = json.loads(req.body)
    assert body["personalizations"] == [{"to": [{"email": "ana@example.com"}]}]
    assert body["subject"] == "AAPL Bcc: x@y.z"        # line breaks folded away
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]


async def test_sendgrid_400_is_final_with_the_vendor_messages():
    result, _ = await send_via(sendgrid_answer, sendgrid("SG.wrong"), "ana@example.com")
    assert not result.ok and result.permanent and result.status == 400
    assert result.error.startswith("from.email: The from object must be provided")


async def test_sendgrid_refuses_a_bad_address_without_a_request():
    result, requests = await send_via(sendgrid_answer, sendgrid(),
                                      "ana@example.com\r\nBcc: victim@example.com")
    assert not result.ok and result.permanent and requests == []


def twilio_answer(req):
    form = parse_qs(req.body.decode())
    if form["To"] == ["+15005550001"]:
        return 400, {"content-type": "application/json"}, TW_400
    return 201, {"content-type": "application/json"}, TW_201


async def test_twilio_sends_the_form_with_basic_auth_and_reads_the_sid():
    result, requests = await send_via(twilio_answer, twilio, "+14155552345")
    assert result.ok and result.status == 201 and result.provider_id == "SM" + "a" * 32
    (req,) = requests
    assert req.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert req.headers["authorization"] == "Basic " + base64.b64encode(
        f"{SID}:token".encode()).decode()
    form = parse_qs(req.body.decode())
    assert form == {"To": ["+14155552345"], "From": ["+14155552345"],
                    "Body": ["AAPL crossed 200 👍"]}


async def test_twilio_21211_is_final():
    result, _ = await send_via(twilio_answer, twilio, "+15005550001")
    assert not result.ok and result.permanent
    assert result.error.startswith("21211: The 'To' number")


@pytest.mark.parametrize(("number", "ok"), [
    ("+14155552345", True), ("+447911123456", True), ("+919876543210", True),
    ("5551234567", False), ("+1 415 555 2345", False), ("+0123456789", False),
    ("+1415555234512345", False), ("+1", False), ("+14155552345\n", False), ("", False),
])
def test_e164(number, ok):
    assert is_e164(number) is ok


async def test_twilio_refuses_a_non_e164_number_without_a_request():
    result, requests = await send_via(twilio_answer, twilio, "5551234567")
    assert not result.ok and result.permanent and requests == []
