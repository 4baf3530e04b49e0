"""The notifier of each channel kind, made through the registry from the settings (no adapter
is imported here) on first use, so a process that never sends opens no client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.ports import Notifier
from stockflow.core import registry


def _urls(notify: Any) -> dict[ChannelKind, tuple[str, str]]:
    return {ChannelKind.WEBHOOK: ("notify.webhook", "https://"),
            ChannelKind.EMAIL: ("notify.email", f"{notify.email_provider}://"),
            ChannelKind.SMS: ("notify.sms", f"{notify.sms_provider}://"),
            ChannelKind.PUSH: ("notify.push", "apprise://")}


class Notifiers(Mapping[ChannelKind, Notifier]):
    """ChannelKind → Notifier, built lazily; a kind whose medium is not configured is absent."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._made: dict[ChannelKind, Notifier | None] | None = None

    def _all(self) -> dict[ChannelKind, Notifier | None]:
        if self._made is None:
            self._made = {kind: registry.build(port, url, **self.options)
                          for kind, (port, url) in _urls(self.options["notify"]).items()}
        return self._made

    def __getitem__(self, kind: ChannelKind) -> Notifier:
        found = self._all().get(kind)
        if found is None:
            raise KeyError(kind)
        return found

    def __iter__(self) -> Iterator[ChannelKind]:
        return (k for k, v in self._all().items() if v is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    async def close(self) -> None:
        for notifier in (self._made or {}).values():
            close = getattr(notifier, "close", None)
            if close is not None:
                await close()
