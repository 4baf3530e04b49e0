"""The SearchIndex contract at its edges, on every engine: a reindex's pages in id order after an
id that is gone, a failed batch that changes nothing, dates far outside the usual range, and
purge bounds with sub-second and naive times. Then what only a folder index shared by two
processes can get wrong (Tantivy): seeing the other's commits, and delete counts."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from stockflow.adapters.search.tantivy_index import TantivySearchIndex
from stockflow.search.domain import DocType, SearchDocument
from stockflow.testing.eventually import eventually
from tests.contract.search_corpus import NEWS, T0
from tests.contract.search_engines import index, keys, search, sqlite_index

__all__ = ["index"]  # the fixture, imported so that pytest finds it here


def _note(ident: str, when: datetime | None = T0, title: str = "Quokka note") -> SearchDocument:
    return SearchDocument(type=DocType.FINANCIALS, id=ident, title=title, published_at=when)


async def test_pages_follow_the_ids_after_one_that_is_gone(index) -> None:
    await index.upsert([_note(i) for i in ("d", "a", "é", "c", "ab", "e", "b")])
    assert await index.delete(["financials:c"]) == 1
    first = [d.id for d in await index.page(DocType.FINANCIALS, None, 3)]
    assert first == ["a", "ab", "b"]
    assert [d.id for d in await index.page(DocType.FINANCIALS, "b", 10)] == ["d", "e", "é"]
    assert [d.id for d in await index.page(DocType.FINANCIALS, "c", 10)] == ["d", "e", "é"]
    assert await index.page(DocType.FINANCIALS, "é", 10) == []


async def test_a_batch_that_fails_changes_nothing(index) -> None:
    original = NEWS[0]
    with pytest.raises(Exception):  # noqa: B017 - each engine has its own error for bad text
        await index.upsert([replace(original, title="edited"),
                            replace(NEWS[1], title="bad \ud800 text")])
    await index.upsert([_note("after")])   # the next batch must not carry the failed one
    assert await index.get(original.key) == original
    assert (await index.get(NEWS[1].key)) == NEWS[1]


async def test_dates_far_from_now_are_stored_and_searched(index) -> None:
    late = _note("late", datetime(2300, 1, 1, tzinfo=UTC), "Quokka from the future")
    early = _note("early", datetime(1500, 1, 1, tzinfo=UTC), "Quokka from the past")
    await index.upsert([late, early])
    assert await index.get(late.key) == late and await index.get(early.key) == early
    for frm, to in ((datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)),
                    (datetime(1, 1, 1, tzinfo=UTC), None), (None, datetime(9999, 1, 1, tzinfo=UTC))):
        page = await search(index, "quokka", published_from=frm, published_to=to)
        assert set(keys(page)) == {late.key, early.key}
    assert keys(await search(index, "quokka", published_from=T0)) == [late.key]
    assert keys(await search(index, "quokka", published_to=T0)) == [early.key]


async def test_purge_bounds_are_compared_to_the_second(index) -> None:
    await index.upsert([_note("before", T0 - timedelta(seconds=1)), _note("at", T0)])
    purged = await index.purge(doc_type=DocType.FINANCIALS,
                               published_before=T0 + timedelta(milliseconds=500))
    assert purged == 1 and await index.get("financials:at") is not None
    naive = (T0 + timedelta(days=1)).replace(tzinfo=None)   # read as UTC, as everywhere
    assert await index.purge(doc_type=DocType.FINANCIALS, published_before=naive) == 1


@contextlib.asynccontextmanager
async def _two_instances(tmp_path):
    async for symbols in sqlite_index(tmp_path):
        await symbols.ensure_schema()
        one = TantivySearchIndex(tmp_path / "shared", symbols, writer_idle_seconds=0.2)
        two = TantivySearchIndex(tmp_path / "shared", symbols, writer_idle_seconds=0.2)
        await one.ensure_schema()
        await two.ensure_schema()
        try:
            yield one, two
        finally:
            await one.close()
            await two.close()


async def test_a_reader_sees_another_writers_commits(tmp_path) -> None:
    async with _two_instances(tmp_path) as (one, two):
        await one.upsert([_note("first")])
        assert await one.get("financials:first") is not None   # its own write, at once
        await eventually(lambda: two.count(), timeout=10, message="the other's commit seen")
        await two.upsert([_note("second")])
        await eventually(lambda: one.get("financials:second"), timeout=10,
                         message="the other's commit seen back")
        assert await one.count(DocType.FINANCIALS) == 2


async def test_two_writers_deleting_one_document_count_it_once(tmp_path) -> None:
    async with _two_instances(tmp_path) as (one, two):
        await one.upsert([_note("gone")])
        await eventually(lambda: two.get("financials:gone"), timeout=10)
        counts = await asyncio.gather(one.delete(["financials:gone"]),
                                      two.delete(["financials:gone"]))
        assert sorted(counts) == [0, 1]
