"""Ports of the intel context: what writes a brief's text (an OpenAI-compatible server),
where deliveries of the watchlist briefs are recorded, each with an in-memory adapter; and an
in-memory reader of signals (the port itself is the signals context's SignalReader)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class InMemorySignals:
    def __init__(self, answers: dict[str, dict] | None = None) -> None:
        self.answers = dict(answers or {})

    async def current(self, ticker: str) -> dict:
        return self.answers[ticker]


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    streamed: bool


class LlmError(Exception):
    """A model call that failed, typed for the caller: retry, breaker, operator (see
    stockflow.adapters.llm.openai_compat for how each vendor answer maps)."""

    def __init__(self, code: str, message: str, *, status: int | None = None,
                 retryable: bool = False, counts: bool = True, operator: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable
        self.counts = counts        # says something about the server's health (breaker)
        self.operator = operator    # only an operator can fix it (key, quota, model name)
        self.retry_after = retry_after


@runtime_checkable
class Writer(Protocol):
    model: str

    async def complete(self, messages: Sequence[dict[str, str]]) -> Completion: ...
    async def close(self) -> None: ...


@runtime_checkable
class DeliveryLog(Protocol):
    """Watchlist briefs sent, one row per (user, watchlist, market, day): a rerun sends none twice."""

    async def sent(self, delivery_id: str) -> bool: ...
    async def record(self, row: dict[str, Any]) -> None: ...


class InMemoryDeliveryLog:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def sent(self, delivery_id: str) -> bool:
        return delivery_id in self.rows

    async def record(self, row: dict[str, Any]) -> None:
        self.rows[row["id"]] = row
