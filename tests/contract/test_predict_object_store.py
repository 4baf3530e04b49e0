"""ObjectStore contract on every adapter: memory, a local folder, and S3 against a real
S3-protocol server (moto's server mode, over local HTTP). The model registry rides on each."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import boto3
import numpy as np
import pytest
from moto.server import ThreadedMotoServer

from stockflow.adapters.objectstore.folder.store import FolderObjectStore
from stockflow.adapters.objectstore.folder.store import make_object_store as make_folder
from stockflow.adapters.objectstore.s3.store import make_object_store as make_s3
from stockflow.predict.batch import GBM_FILE
from stockflow.predict.gbm import FittedGbm, GbmForecaster
from stockflow.predict.ports import InMemoryObjectStore, ObjectStore
from stockflow.predict.registry import ModelRegistry
from stockflow.testing.fakes import FakeClock
from tests.unit.predict.conftest import walk

CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["memory", "folder", "s3"])
async def store(request, tmp_path) -> AsyncIterator[ObjectStore]:
    if request.param == "memory":
        yield InMemoryObjectStore()
    elif request.param == "folder":
        yield make_folder(f"file://{tmp_path / 'objects'}")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"models-{uuid.uuid4().hex[:8]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=bucket)
        yield make_s3(f"s3://{bucket}/stockflow/models", endpoint_url=endpoint, **CREDENTIALS)


async def test_put_get_overwrite_delete(store) -> None:
    assert await store.get("a/b") is None
    await store.put("a/b", b"one")
    await store.put("a/b", b"two")
    assert await store.get("a/b") == b"two"
    await store.delete("a/b")
    await store.delete("a/b")                 # deleting a missing key is not an error
    assert await store.get("a/b") is None


async def test_list_by_prefix_sorted(store) -> None:
    for key in ("x/2", "x/1", "y/1", "x/sub/3"):
        await store.put(key, key.encode())
    assert await store.list("x/") == ["x/1", "x/2", "x/sub/3"]
    assert await store.list() == ["x/1", "x/2", "x/sub/3", "y/1"]
    assert await store.list("z/") == []


async def test_binary_payloads_round_trip(store) -> None:
    blob = bytes(range(256)) * 1000
    await store.put("blob", blob)
    assert await store.get("blob") == blob


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a"])
async def test_unsafe_keys_are_refused(key) -> None:
    folder = FolderObjectStore("unused")
    with pytest.raises(ValueError):
        await folder.put(key, b"x")


async def test_registry_versions_metrics_and_window(store) -> None:
    clock = FakeClock()
    reg = ModelRegistry(store, clock)
    assert await reg.latest("price", "AAPL") is None
    v1 = await reg.register("price", "AAPL", b"weights-1", metrics={"mase": 0.98},
                            data_start="2023-01-03", data_end="2025-11-20", observations=730)
    clock.advance(3600)
    v2 = await reg.register("price", "AAPL", b"weights-2", metrics={"mase": 1.02},
                            data_start="2023-01-10", data_end="2025-11-21", observations=731)
    await reg.register("price", "MSFT", b"m", metrics={}, data_start="a", data_end="b",
                       observations=1)
    assert (v1.version, v2.version) == (1, 2)
    assert await reg.versions("price", "AAPL") == [1, 2]
    latest = await reg.latest("price", "AAPL")
    assert latest == v2 and latest.metrics == {"mase": 1.02}
    assert latest.data_end == "2025-11-21" and latest.trained_at == clock.now()
    assert await reg.artifact(latest) == b"weights-2"
    assert await reg.artifact(await reg.get("price", "AAPL", 1)) == b"weights-1"


async def test_registry_keeps_the_fitted_booster(store) -> None:
    """Training's booster goes into the store as LightGBM's text model with its metadata, and
    the copy read back forecasts exactly as the booster that was fitted."""
    s = walk(400)
    gbm = GbmForecaster().fit(s.window(0, 390))
    reg = ModelRegistry(store, FakeClock())
    entry = await reg.register("price", "AAPL", b"", metrics={"models": {"lightgbm": gbm.meta()}},
                               data_start="a", data_end=gbm.data_end, observations=390,
                               files={GBM_FILE: gbm.to_bytes()})
    again = await reg.latest("price", "AAPL")
    assert again == entry and set(again.files) == {GBM_FILE}
    assert again.files[GBM_FILE]["bytes"] == len(gbm.to_bytes())
    data = await reg.file(again, GBM_FILE)
    assert data is not None and data.startswith(b"tree")
    loaded = FittedGbm.from_stored(data, again.metrics["models"]["lightgbm"])
    for ahead in (s, s.window(0, 395)):          # on the latest bars, newer than the fit
        want, got = gbm.forecast(ahead, 7), loaded.forecast(ahead, 7)
        for name in ("mean", "lo80", "hi80", "lo95", "hi95"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert await reg.file(again, "nothing.txt") is None


async def test_registry_refuses_a_model_file_that_is_not_the_registered_one(store) -> None:
    reg = ModelRegistry(store, FakeClock())
    entry = await reg.register("price", "AAPL", b"", metrics={}, data_start="a",
                               data_end="b", observations=1, files={GBM_FILE: b"tree\nv1"})
    await store.put(f"registry/price/AAPL/{entry.version:06d}/files/{GBM_FILE}", b"tree\nv2")
    assert await reg.file(entry, GBM_FILE) is None
