"""Push and chat through apprise URLs (ntfy, Telegram, Slack, Discord, ...)."""
