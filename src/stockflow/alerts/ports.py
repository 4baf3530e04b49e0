"""Ports of the alerts context, each with its in-memory adapter.

- AlertStateStore: evaluation state between events (per rule: armed, last fired, recent event ids;
  per stream: the previous value). In memory for one process; Redis (`alert:state:{alert_id}`)
  when evaluators scale out, see stockflow.adapters.alertstate.redis.
- Notifier: one delivery channel (webhook, email, SMS, push); see stockflow.adapters.notify.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from stockflow.alerts.domain import RuleState


@runtime_checkable
class AlertStateStore(Protocol):
    async def load(self, alert_ids: Sequence[str]) -> dict[str, RuleState]:
        """States of the given rules; a rule never evaluated is absent from the answer."""
    async def save(self, states: Mapping[str, RuleState]) -> None: ...
    async def forget(self, alert_ids: Sequence[str]) -> None: ...
    async def previous(self, streams: Sequence[str]) -> dict[str, float]:
        """Last value seen of each stream ("AAPL|price"); absent when none yet."""
    async def remember(self, values: Mapping[str, float]) -> None: ...
    async def close(self) -> None: ...


class InMemoryAlertStateStore:
    """The state port in one process's memory: for one evaluator, tests and the benchmark."""

    def __init__(self) -> None:
        self._states: dict[str, RuleState] = {}
        self._previous: dict[str, float] = {}

    async def load(self, alert_ids: Sequence[str]) -> dict[str, RuleState]:
        states = self._states
        return {i: states[i] for i in alert_ids if i in states}

    async def save(self, states: Mapping[str, RuleState]) -> None:
        self._states.update(states)

    async def forget(self, alert_ids: Sequence[str]) -> None:
        for i in alert_ids:
            self._states.pop(i, None)

    async def previous(self, streams: Sequence[str]) -> dict[str, float]:
        prev = self._previous
        return {s: prev[s] for s in streams if s in prev}

    async def remember(self, values: Mapping[str, float]) -> None:
        self._previous.update(values)

    async def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Message:
    """One notification, channel-neutral; each notifier renders what its medium takes."""

    delivery_id: str          # stable across retries: the webhook-id, the e-mail Message-ID
    recipient: str            # URL, e-mail address, E.164 number or apprise URL
    subject: str
    text: str
    html: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()    # the recipient's signing secrets (webhooks), newest first


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    status: int | None = None            # HTTP status where there is one
    error: str = ""
    permanent: bool = False              # retrying cannot help (HTTP 410, an invalid number)
    provider_id: str = ""                # the vendor's message id, when it gives one


@runtime_checkable
class Notifier(Protocol):
    channel: str

    async def send(self, message: Message) -> SendResult: ...


class InMemoryNotifier:
    """Records what it was asked to send; answers with a programmed result."""

    def __init__(self, channel: str = "memory", results: Sequence[SendResult] = ()) -> None:
        self.channel = channel
        self.sent: list[Message] = []
        self._results = list(results)

    async def send(self, message: Message) -> SendResult:
        self.sent.append(message)
        return self._results.pop(0) if self._results else SendResult(ok=True)


@runtime_checkable
class Deliveries(Protocol):
    """Sending a finished text through a user's enabled digest channels (alerts/digests.py)."""

    async def recipients(self) -> list[str]: ...
    async def deliver(self, user_id: str, subject: str, text: str, now: Any,
                      kind: str = "digest", **data: Any) -> list[dict[str, Any]]: ...
