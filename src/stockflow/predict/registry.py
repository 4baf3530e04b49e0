"""Model registry: numbered versions per (kind, ticker) with their metrics and the data window
they were trained on, kept as JSON beside the artifact in an ObjectStore.

Layout: registry/<kind>/<ticker>/<version:06d>/meta.json, .../artifact and .../files/<name>
(fitted model files, such as the LightGBM booster, each listed in meta.json with its size and
SHA-256). Keys sort by version, so the newest is the last listed; no database is needed to
find it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
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
    files: dict = field(default_factory=dict)   # name → {"bytes", "sha256"}

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
                       data_start: str, data_end: str, observations: int,
                       files: Mapping[str, bytes] | None = None) -> ModelVersion:
        """A new version after the newest; the artifact and files are written first, so a
        reader that sees meta.json always finds them beside it."""
        files = dict(files or {})
        known = await self.versions(kind, ticker)
        entry = ModelVersion(kind, ticker, (known[-1] + 1) if known else 1, self.clock.now(),
                             data_start, data_end, observations, metrics,
                             {name: {"bytes": len(data), "sha256": _sha256(data)}
                              for name, data in files.items()})
        folder = _folder(kind, ticker, entry.version)
        for name, data in files.items():
            await self.store.put(f"{folder}files/{name}", data)
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

    async def file(self, entry: ModelVersion, name: str) -> bytes | None:
        """A model file of the version, or None if it has none by that name or the stored
        bytes are not the ones registered (a torn or foreign write is not a model)."""
        listed = entry.files.get(name)
        if listed is None:
            return None
        data = await self.store.get(f"{_folder(entry.kind, entry.ticker, entry.version)}files/"
                                    f"{name}")
        if data is None or _sha256(data) != listed["sha256"]:
            return None
        return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
