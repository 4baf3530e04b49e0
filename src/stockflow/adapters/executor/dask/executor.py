"""Runs work on a Dask distributed cluster (`tcp://scheduler:8786`); connects on first use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class DaskExecutor:
    def __init__(self, address: str) -> None:
        self.address = address
        self._client: Any = None

    async def _ensure(self) -> Any:
        if self._client is None:
            from distributed import Client

            self._client = await Client(self.address, asynchronous=True)
        return self._client

    async def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        if not items:
            return []
        client = await self._ensure()
        # pure=False: the same job submitted twice (a retrain) must run again, not hit a cache.
        futures = client.map(fn, list(items), pure=False)
        return list(await client.gather(futures))

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()


def make_executor(url: str, **_: object) -> DaskExecutor:
    return DaskExecutor(url)
