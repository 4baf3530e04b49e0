"""The alerts state port in this process's memory (`memory://`): for one evaluator."""

from __future__ import annotations

from typing import Any

from stockflow.alerts.ports import InMemoryAlertStateStore


def make_store(url: str, **_: Any) -> InMemoryAlertStateStore:
    return InMemoryAlertStateStore()
