"""Notifier adapters of the alerts context: webhook, SMTP, SendGrid, Twilio, apprise."""
