"""Delivery domain: statuses, the retry schedule with its jitter bounds, 410 disables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stockflow.alerts.delivery import (
    STANDARD_SCHEDULE,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    record_attempt,
)
from stockflow.alerts.ports import SendResult

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def pending() -> Delivery:
    return Delivery(id="msg_1", history_id="h1", alert_id="a1", user_id="u1", channel_id="c1",
                    channel=ChannelKind.WEBHOOK, payload={"x": 1}, created_at=T0)


def test_success_delivers():
    out = record_attempt(pending(), SendResult(ok=True, status=204, provider_id="p"), T0)
    d = out.delivery
    assert (d.status, d.attempts, d.delivered_at, d.last_status) == (
        DeliveryStatus.DELIVERED, 1, T0, 204)
    assert not out.disable_channel


def test_failures_follow_the_schedule_then_fail_for_good():
    d, now, waits = pending(), T0, []
    while d.status is DeliveryStatus.PENDING:
        d = record_attempt(d, SendResult(ok=False, status=503), now, rand=lambda: 0.5).delivery
        if d.next_attempt_at is not None:
            waits.append((d.next_attempt_at - now).total_seconds())
            now = d.next_attempt_at
    assert tuple(waits) == STANDARD_SCHEDULE       # rand 0.5 = no jitter
    assert d.status is DeliveryStatus.FAILED and d.attempts == len(STANDARD_SCHEDULE) + 1
    assert d.last_error == "HTTP 503"


@given(attempts=st.integers(1, len(STANDARD_SCHEDULE)), r=st.floats(0, 1))
def test_jitter_stays_within_ten_percent(attempts, r):
    delay = RetryPolicy().next_delay(attempts, lambda: r)
    base = STANDARD_SCHEDULE[attempts - 1]
    assert 0.9 * base - 1e-9 <= delay <= 1.1 * base + 1e-9


def test_gone_fails_at_once_and_disables_the_channel():
    out = record_attempt(pending(), SendResult(ok=False, status=410), T0)
    assert out.delivery.status is DeliveryStatus.FAILED and out.disable_channel
    ch = Channel("c1", "u1", ChannelKind.WEBHOOK, "https://example.com/h").disabled("HTTP 410")
    assert not ch.enabled and ch.disabled_reason == "HTTP 410"


def test_permanent_error_fails_without_disabling():
    out = record_attempt(pending(), SendResult(ok=False, status=400, error="21211: bad number",
                                               permanent=True), T0)
    assert out.delivery.status is DeliveryStatus.FAILED and not out.disable_channel
    assert out.delivery.last_error == "21211: bad number"


def test_long_errors_are_cut():
    out = record_attempt(pending(), SendResult(ok=False, error="x" * 5000), T0, rand=lambda: 0)
    assert len(out.delivery.last_error) == 500
    assert out.delivery.next_attempt_at == T0 + timedelta(seconds=4.5)
