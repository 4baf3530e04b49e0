"""The embedded platform's search index is a Tantivy folder in the data folder: it survives a
restart, and a second writer (`stockflow search reindex` beside a running platform) gets the
folder between the platform's writes, its documents then found through the platform's API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from stockflow.adapters.search.tantivy_index import SCHEMA_VERSION, TantivySearchIndex
from stockflow.market.ports import MarketReader
from stockflow.search.domain import DocType, SearchDocument
from stockflow.search.ports import SearchIndex
from stockflow.testing.eventually import eventually
from tests.e2e.test_job_command import stockflow
from tests.e2e.users_support import container_with

NOTE = SearchDocument(type=DocType.NEWS, id="kept", title="Quokka robotics opens a plant",
                      body="The quokka plant builds arms.", source="reuters", lang="en",
                      published_at=datetime(2026, 11, 2, 9, tzinfo=UTC))


async def _companies(client) -> int:
    r = await client.get("/v1/search/company", params={"q": "type:company", "limit": 1})
    assert r.status_code == 200, r.text
    return int(r.json()["data"]["total"])


async def test_the_embedded_index_is_a_tantivy_folder_that_survives_a_restart(tmp_path):
    settings = {"analysis": {"preload": False}}
    async with container_with(tmp_path, "memory", settings=settings) as (container, client):
        index = container.port(SearchIndex)
        assert isinstance(index, TantivySearchIndex)
        assert index.path == (tmp_path / "search-index").resolve()
        universe = len(container.port(MarketReader).universe)
        await eventually(lambda: _companies(client), timeout=20, message="universe indexed")
        assert await _companies(client) == universe
        await index.upsert([NOTE])
    assert (tmp_path / "search-index" / f"v{SCHEMA_VERSION}" / "meta.json").exists()
    async with container_with(tmp_path, "memory", settings=settings) as (container, client):
        assert await container.port(SearchIndex).get(NOTE.key) == NOTE
        r = await client.get("/v1/search", params={"q": "quokka", "type": "news"})
        assert [h["id"] for h in r.json()["data"]["hits"]] == ["kept"], r.text


async def test_a_reindex_command_writes_beside_a_running_platform(tmp_path):
    settings = {"analysis": {"preload": False}}
    async with container_with(tmp_path, "memory", settings=settings) as (container, client):
        universe = len(container.port(MarketReader).universe)
        await eventually(lambda: _companies(client), timeout=20, message="universe indexed")
        # The platform keeps writing (an article a few times a second) while the command runs.
        writes = asyncio.create_task(_keep_writing(container.port(SearchIndex)))
        try:
            env = {"STOCKFLOW_DATA_DIR": str(tmp_path), "STOCKFLOW_LOG__LEVEL": "WARNING"}
            done = await asyncio.to_thread(stockflow, "search", "reindex", "--type", "company",
                                           env=env)
        finally:
            writes.cancel()
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip().splitlines()[-1] == f"company {universe} documents indexed"
        assert await _companies(client) == universe  # replaced, not duplicated
        hits = await container.port(SearchIndex).count(DocType.NEWS)
        assert hits >= 1  # the platform's own writes went on meanwhile


async def _keep_writing(index: SearchIndex) -> None:
    i = 0
    while True:
        await index.upsert([SearchDocument(type=DocType.NEWS, id=f"w{i}", title=f"Tick {i}",
                                           published_at=datetime.now(UTC))])
        i += 1
        await asyncio.sleep(0.2)


async def test_an_installation_that_ran_the_database_engine_gets_its_documents_once(tmp_path):
    """Upgrading to the Tantivy default: the first start copies what the database's own index
    holds (the only copy of news when the news context is off), then never again."""
    settings = {"analysis": {"preload": False}, "search": {"engine": "database"}}
    async with container_with(tmp_path, "memory", settings=settings) as (container, _):
        await container.port(SearchIndex).upsert([NOTE])
    settings = {"analysis": {"preload": False}}
    async with container_with(tmp_path, "memory", settings=settings) as (container, client):
        index = container.port(SearchIndex)
        assert isinstance(index, TantivySearchIndex)
        marker = tmp_path / "search-index" / f"v{SCHEMA_VERSION}" / "imported-from-database"
        await eventually(marker.exists, timeout=20, message="the import finished")
        assert await index.get(NOTE.key) == NOTE
        r = await client.get("/v1/search", params={"q": "quokka", "type": "news"})
        assert [h["id"] for h in r.json()["data"]["hits"]] == ["kept"], r.text
        await index.delete([NOTE.key])
    async with container_with(tmp_path, "memory", settings=settings) as (container, _):
        await asyncio.sleep(0.5)   # an import, were one to run again, would bring it back
        assert await container.port(SearchIndex).get(NOTE.key) is None
