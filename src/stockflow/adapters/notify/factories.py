"""Factories the registry calls to make each notifier from the settings (`core/registry.py`,
ports "notify.email", "notify.sms", "notify.webhook", "notify.push"). Each returns None when
its medium is not configured (no SMTP URL, no API key), so that channel kind is not offered."""

from __future__ import annotations

from typing import Any

from stockflow.alerts.ports import Notifier


def smtp(url: str, *, notify: Any, clock: Any, **_: Any) -> Notifier | None:
    from stockflow.adapters.notify.smtp.notifier import SmtpNotifier

    if notify.smtp_url is None:
        return None
    return SmtpNotifier(notify.smtp_url.get_secret_value(), notify.email_from, clock)


def sendgrid(url: str, *, notify: Any, **_: Any) -> Notifier | None:
    from stockflow.adapters.notify.sendgrid.notifier import SendGridNotifier

    if notify.sendgrid_api_key is None:
        return None
    return SendGridNotifier(notify.sendgrid_api_key, notify.email_from,
                            base_url=notify.sendgrid_base_url)


def twilio(url: str, *, notify: Any, **_: Any) -> Notifier | None:
    from stockflow.adapters.notify.twilio.notifier import TwilioNotifier

    if notify.twilio_auth_token is None or not notify.twilio_account_sid:
        return None
    return TwilioNotifier(notify.twilio_account_sid, notify.twilio_auth_token,
                          notify.twilio_from, base_url=notify.twilio_base_url)


def webhook(url: str, *, alerts: Any, clock: Any, guard: Any, **_: Any) -> Notifier:
    from stockflow.adapters.notify.webhook.sender import WebhookNotifier

    return WebhookNotifier(guard, clock, timeout=alerts.webhook_timeout_seconds,
                           max_body=alerts.webhook_max_response_bytes)


def apprise(url: str, *, alerts: Any, guard: Any, **_: Any) -> Notifier:
    from stockflow.adapters.notify.apprise.notifier import AppriseNotifier

    return AppriseNotifier(guard, schemes=alerts.apprise_schemes)
