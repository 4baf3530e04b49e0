"""Model registry: numbered versions per (kind, ticker) with their metrics and the data window
they were trained on, kept as JSON beside the artifact in an ObjectStore.

Layout: registry/<kind>/<ticker>/<version:06d>/meta.json and .../artifact. Keys sort by version,
so the newest is the last listed; no database is needed to find it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import orjson

from stockflow.core.ports import Clock
from stockflow.predict.ports import ObjectStore

PREFIX = "registry"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    kind: str
    ticker: str
    version: int
    trained_at: datetime
    data_start: str          # first and last bar date of the training data
    data_end: str
    observations: int
    metrics: dict

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.ticker}/v{self.version}"

    def fresh(self, now: datetime, max_age: timedelta) -> bool:
        return now - self.trained_at <= max_age


def _folder(kind: str, ticker: str, version: int | None = None) -> str:
    base = f"{PREFIX}/{kind}/{ticker}/"
    return base if version is None else f"{base}{version:06d}/"


class ModelRegistry:
    def __init__(self, store: ObjectStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def versions(self, kind: str, ticker: str) -> list[int]:
        keys = await self.store.list(_folder(kind, ticker))
        return sorted({int(k.split("/")[3]) for k in keys if k.endswith("/meta.json")})

    async def register(self, kind: str, ticker: str, artifact: bytes, *, metrics: dict,
                       data_start: str, data_end: str, observations: int) -> ModelVersion:
        """A new version after the newest; the artifact is written first, so a reader that
        sees meta.json always finds the artifact beside it."""
        known = await self.versions(kind, ticker)
        entry = ModelVersion(kind, ticker, (known[-1] + 1) if known else 1, self.clock.now(),
                             data_start, data_end, observations, metrics)
        folder = _folder(kind, ticker, entry.version)
        await self.store.put(folder + "artifact", artifact)
        await self.store.put(folder + "meta.json", orjson.dumps(asdict(entry)))
        return entry

    async def get(self, kind: str, ticker: str, version: int) -> ModelVersion | None:
        raw = await self.store.get(_folder(kind, ticker, version) + "meta.json")
        if raw is None:
            return None
        data = orjson.loads(raw)
        data["trained_at"] = datetime.fromisoformat(data["trained_at"])
        return ModelVersion(**data)

    async def latest(self, kind: str, ticker: str) -> ModelVersion | None:
        known = await self.versions(kind, ticker)
        return await self.get(kind, ticker, known[-1]) if known else None

    async def artifact(self, entry: ModelVersion) -> bytes | None:
        return await self.store.get(_folder(entry.kind, entry.ticker, entry.version) + "artifact")
