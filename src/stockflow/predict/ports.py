"""Ports of the predict context: where daily history comes from, where predictions, model
artifacts and work go; each with an in-memory adapter for tests and single-process use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from stockflow.predict.series import DailySeries


@runtime_checkable
class DailyHistory(Protocol):
    """Daily bars per ticker, oldest first; None for a ticker the platform does not know."""

    async def daily(self, ticker: str, limit: int) -> DailySeries | None: ...


@dataclass(frozen=True, slots=True)
class Prediction:
    """The seed's prediction document, one row per (ticker, kind, horizon)."""

    ticker: str
    kind: str                  # price | volatility | var
    horizon: int               # days ahead
    value: float | None
    lower: float | None        # 95 % interval, where the kind has one
    upper: float | None
    model_version: str
    features: tuple[str, ...]
    generated_at: datetime


@runtime_checkable
class PredictionStore(Protocol):
    async def save(self, items: Sequence[Prediction]) -> int: ...
    async def latest(self, ticker: str, kind: str) -> list[Prediction]: ...


@runtime_checkable
class ObjectStore(Protocol):
    """Bytes under string keys ("a/b/c"); a missing key reads as None."""

    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None: ...
    async def list(self, prefix: str = "") -> list[str]: ...


@runtime_checkable
class Executor(Protocol):
    """Runs a picklable, module-level function over items, results in item order."""

    async def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]: ...
    async def close(self) -> None: ...


class InMemoryHistory:
    def __init__(self, series: dict[str, DailySeries] | None = None) -> None:
        self.series = dict(series or {})

    async def daily(self, ticker: str, limit: int) -> DailySeries | None:
        s = self.series.get(ticker)
        return None if s is None else s.window(max(0, len(s) - limit), len(s))


class InMemoryPredictions:
    def __init__(self) -> None:
        self.rows: list[Prediction] = []

    async def save(self, items: Sequence[Prediction]) -> int:
        self.rows.extend(items)
        return len(items)

    async def latest(self, ticker: str, kind: str) -> list[Prediction]:
        mine = [p for p in self.rows if p.ticker == ticker and p.kind == kind]
        if not mine:
            return []
        newest = max(p.generated_at for p in mine)
        return sorted((p for p in mine if p.generated_at == newest), key=lambda p: p.horizon)


class InMemoryObjectStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> None:
        self.objects[key] = bytes(data)

    async def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def list(self, prefix: str = "") -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))


class InlineExecutor:
    """Runs in the calling process: the reference the other executors must agree with."""

    async def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return [fn(x) for x in items]

    async def close(self) -> None:
        return None


@runtime_checkable
class ForecastReader(Protocol):
    """A price forecast of 1-7 days with intervals, and risk figures, for other contexts."""

    async def price(self, ticker: str, days: int) -> dict: ...
    async def risk(self, ticker: str, benchmark: str | None = None) -> dict: ...
    async def risk_summary(self, ticker: str) -> dict: ...
