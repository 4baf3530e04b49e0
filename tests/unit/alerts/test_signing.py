"""Standard Webhooks v1 signing: the spec's own vectors, and the standardwebhooks library's
verifier accepting what we send."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from stockflow.alerts.signing import (
    SignatureError,
    generate_secret,
    headers,
    secret_key,
    sign,
    verify,
)

VECTORS = json.loads((Path(__file__).parents[2] / "fixtures" / "payloads" / "standardwebhooks"
                      / "test_vectors.json").read_text())
FIXED = VECTORS["sign"][0]


def test_the_spec_vector():
    got = sign(FIXED["msg_id"], FIXED["timestamp"], FIXED["payload"].encode(), FIXED["secret"])
    assert got == FIXED["expected_signature"]


def test_the_spec_vector_verifies_and_a_changed_one_does_not():
    body = FIXED["payload"].encode()
    hdrs = {"webhook-id": FIXED["msg_id"], "webhook-timestamp": str(FIXED["timestamp"]),
            "webhook-signature": FIXED["expected_signature"]}
    assert verify(body, hdrs, [FIXED["secret"]], now=FIXED["timestamp"]) == FIXED["msg_id"]
    for bad in (VECTORS["verify_fail"][0]["webhook-signature"],
                VECTORS["verify_fail"][1]["webhook-signature"]):
        with pytest.raises(SignatureError):
            verify(body, {**hdrs, "webhook-signature": bad}, [FIXED["secret"]],
                   now=FIXED["timestamp"])
    with pytest.raises(SignatureError):
        verify(body + b" ", hdrs, [FIXED["secret"]], now=FIXED["timestamp"])


@pytest.mark.parametrize("sign", [1, -1], ids=["too old", "too new"])
def test_timestamps_outside_the_tolerance_are_refused(sign):
    body = FIXED["payload"].encode()
    ts = FIXED["timestamp"]
    hdrs = headers(FIXED["msg_id"], ts, body, [FIXED["secret"]])
    assert verify(body, hdrs, [FIXED["secret"]], now=ts + sign * 300)
    with pytest.raises(SignatureError, match="too old" if sign > 0 else "too new"):
        verify(body, hdrs, [FIXED["secret"]], now=ts + sign * 301)


def test_bad_and_missing_headers():
    body = FIXED["payload"].encode()
    hdrs = headers(FIXED["msg_id"], FIXED["timestamp"], body, [FIXED["secret"]])
    with pytest.raises(SignatureError):
        verify(body, {**hdrs, "webhook-timestamp": "hello"}, [FIXED["secret"]], now=0)
    for name in VECTORS["verify_fail"][-1]["missing"]:
        partial = {k: v for k, v in hdrs.items() if k != name}
        with pytest.raises(SignatureError):
            verify(body, partial, [FIXED["secret"]], now=FIXED["timestamp"])


def test_multi_signature_header_from_the_spec():
    body = FIXED["payload"].encode()
    parts = [p if not p.startswith("<") else FIXED["expected_signature"]
             for p in VECTORS["verify_multi_signature_header"]["webhook-signature_parts_in_order"]]
    hdrs = {"webhook-id": FIXED["msg_id"], "webhook-timestamp": str(FIXED["timestamp"]),
            "webhook-signature": " ".join(parts)}
    assert verify(body, hdrs, [FIXED["secret"]], now=FIXED["timestamp"])


@pytest.mark.parametrize("form", VECTORS["secret_forms_that_must_verify"],
                         ids=lambda f: f["note"][:20])
def test_secret_forms(form):
    signed_with = form.get("signed_with", form["secret"])
    assert secret_key(form["secret"]) == secret_key(signed_with)
    assert secret_key("whsec_" + form["secret"]) == secret_key(form["secret"])


@pytest.mark.parametrize("bad", VECTORS["secrets_that_must_be_rejected"] + ["whsec_!!!"])
def test_empty_or_garbled_secrets_are_refused(bad):
    with pytest.raises(SignatureError):
        secret_key(bad)


@pytest.mark.parametrize("ts", VECTORS["sign_timestamps_that_must_be_rejected_php"]
                         + ["1614265330\n", True])
def test_bad_sign_timestamps_are_refused(ts):
    with pytest.raises(SignatureError):
        sign("msg_1", ts, b"{}", FIXED["secret"])


def test_rotation_signs_with_every_secret_and_the_library_accepts_each():
    old, new = generate_secret(), generate_secret()
    assert old.startswith("whsec_") and len(secret_key(old)) == 32
    body = json.dumps({"type": "alert.triggered", "data": {"price": 201.5}}).encode()
    now = int(time.time())
    hdrs = headers("msg_2abc", now, body, [new, old])
    assert len(hdrs["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        assert Webhook(secret).verify(body, hdrs) == json.loads(body)
        assert verify(body, hdrs, [secret], now=now) == "msg_2abc"
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, hdrs)


def test_our_signature_equals_the_librarys():
    from datetime import UTC, datetime
    lib = Webhook(FIXED["secret"]).sign(FIXED["msg_id"],
                                        datetime.fromtimestamp(FIXED["timestamp"], UTC),
                                        FIXED["payload"])
    assert lib == FIXED["expected_signature"]
