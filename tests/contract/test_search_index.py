"""The SearchIndex contract, run on every engine of search_engines.py."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from stockflow.adapters.search.sqlite_fts import SEARCH_CACHE_KIB
from stockflow.search.domain import DocType, InvalidCursor, SuggestEntry
from stockflow.search.ports import SearchIndex
from stockflow.search.text import match_quality
from tests.contract.search_corpus import COMPANIES, NEWS, SYMBOLS, T0, company, news
from tests.contract.search_engines import (
    index,
    keys,
    postgres_index,
    search,
    sql_index,
    sqlite_index,
)

__all__ = ["index", "sql_index"]  # the fixtures, imported so that pytest finds them here


async def test_is_a_search_index(index) -> None:
    assert isinstance(index, SearchIndex)
    assert await index.count() == len(COMPANIES) + len(NEWS)
    assert await index.count(DocType.NEWS) == len(NEWS)
    await index.optimize()
    assert keys(await search(index, "nvidia"))[0] == "company:NVDA"


async def test_ranking_puts_the_named_company_first(index) -> None:
    page = await search(index, "nvidia")
    assert keys(page)[0] == "company:NVDA"
    scores = [h.score for h in page.hits]
    assert scores == sorted(scores, reverse=True)
    # a title match outranks a body-only match
    chips = keys(await search(index, "factory", filters={"type": ("news",)}))
    assert chips == ["news:n3"]
    assert keys(await search(index, "tesla"))[0] == "company:TSLA"


async def test_phrase_needs_the_words_together(index) -> None:
    together = set(keys(await search(index, '"data center"', collapse=False)))
    assert {"news:n1", "news:n2", "company:NVDA"} <= together
    assert "news:n4" not in together  # has "center" and "data", not side by side
    assert "news:n4" in set(keys(await search(index, "data center", collapse=False)))


async def test_exclusion_and_or(index) -> None:
    chips = set(keys(await search(index, "chips -intel", collapse=False)))
    assert "news:n3" not in chips and "company:INTC" not in chips and "news:n4" in chips
    either = set(keys(await search(index, "tesla OR toyota", filters={"type": ("company",)})))
    assert either == {"company:TSLA", "company:TM"}
    only_negative = set(keys(await search(index, "-nvidia type:news", collapse=False,
                                          limit=50)))
    assert "news:n1" not in only_negative and "news:n3" in only_negative


async def test_filters_from_the_query_and_the_request(index) -> None:
    assert set(keys(await search(index, "ticker:NVDA source:bloomberg"))) == {"news:n2", "news:n4"}
    assert keys(await search(index, "chips", filters={"ticker": ("intc",), "type": ("news",)})
                ) == ["news:n3"]
    langs = await search(index, "lang:ja,zh", collapse=False)
    assert set(keys(langs)) == {"news:n7", "news:n8"}
    sector = await search(index, 'sector:"consumer cyclical"')
    assert set(keys(sector)) == {"company:TSLA", "company:TM"}
    dated = await search(index, "type:news", published_from=T0 + timedelta(days=2),
                         published_to=T0 + timedelta(days=3), collapse=False)
    assert set(keys(dated)) == {"news:n5", "news:n6"}
    assert "news:n3" not in keys(await search(index, "chips -sentiment:negative"))
    # an unknown field is plain words: "nvidia:corporation" is the phrase "nvidia corporation"
    assert keys(await search(index, "nvidia:corporation")) == ["company:NVDA"]


async def test_facet_counts_and_date_histogram(index) -> None:
    page = await search(index, "type:news", histogram="day", collapse=True, limit=1)
    assert page.total == len(NEWS)
    facets = {name: {b.value: b.count for b in buckets} for name, buckets in page.facets.items()}
    assert facets["type"] == {"news": 9}
    assert facets["source"] == {"reuters": 4, "bloomberg": 2, "nikkei": 2, "xinhua": 1}
    assert facets["sentiment"] == {"positive": 4, "negative": 2, "neutral": 3}
    assert facets["event_type"] == {"earnings": 4, "guidance": 1, "recall": 1}
    assert facets["lang"] == {"en": 7, "ja": 1, "zh": 1}
    days = {b.value: b.count for b in page.histogram}
    assert days == {"2026-03-02": 2, "2026-03-03": 2, "2026-03-04": 2, "2026-03-05": 2,
                    "2026-03-10": 1}
    weeks = {b.value: b.count for b in (await search(index, "type:news", histogram="week")
                                        ).histogram}
    assert weeks == {"2026-03-02": 8, "2026-03-09": 1}
    months = (await search(index, "type:news", histogram="month")).histogram
    assert [(b.value, b.count) for b in months] == [("2026-03-01", 9)]
    companies = await search(index, "chips", filters={"type": ("company",)})
    assert {b.value: b.count for b in companies.facets["sector"]} == {"technology": 2}
    assert companies.histogram == []
    bare = await search(index, "nvidia", facets=False)
    assert bare.facets == {} and bare.total == (await search(index, "nvidia")).total


WINDOW_QUERIES = ["nvidia", "type:news", "-nvidia type:news", "data OR chips OR toyota OR bank",
                  "chips ticker:intc", '"data center"', "chips -intel", "lang:ja,zh", "财报"]


async def test_a_window_wider_than_the_matches_changes_nothing(index) -> None:
    for text in WINDOW_QUERIES:
        for collapse in (True, False):
            exact = await search(index, text, collapse=collapse, histogram="day")
            windowed = await search(index, text, collapse=collapse, histogram="day", window=100)
            assert not exact.estimated and not windowed.estimated
            assert [(h.document.key, h.score) for h in windowed.hits] == \
                [(h.document.key, h.score) for h in exact.hits]
            assert (windowed.total, windowed.facets, windowed.histogram) == \
                (exact.total, exact.facets, exact.histogram)


async def test_a_full_window_ranks_the_newest_matches_and_says_so(index) -> None:
    older = company("WDGT", "Widget Works", "Industrials", "Makes every widget.")
    await index.upsert([older])
    await index.upsert([news(f"w{i:02d}", f"Widget demand report {i}", "Widget makers.",
                             source="bloomberg" if i % 7 == 0 else "reuters", day=i % 5)
                        for i in range(20)])
    full = await search(index, "widget", collapse=False, limit=100)
    assert not full.estimated and full.total == 21
    page = await search(index, "widget", collapse=False, limit=100, window=5)
    if getattr(index, "counts_every_match", False):   # no window needed: still exact
        assert not page.estimated and (page.total, keys(page)) == (full.total, keys(full))
        return
    assert page.estimated
    news_hits = {k for k in keys(page) if k.startswith("news:")}
    assert news_hits == {f"news:w{i:02d}" for i in range(15, 20)}  # the newest five
    assert "company:WDGT" in keys(page)  # indexed before the window, found through its type
    assert page.total > len(page.hits)  # extrapolated from the window's share of the index
    assert sum(b.count for b in page.facets["source"]) >= 5
    # pages of an estimated result cover the window once, in the same order
    seen, cursor = [], None
    while True:
        part = await search(index, "widget", collapse=False, limit=2, window=5, cursor=cursor)
        seen += keys(part)
        cursor = part.next_cursor
        if cursor is None:
            break
    assert seen == keys(page)
    # a filter that leaves fewer matches than the window is exact again
    few = await search(index, "widget source:bloomberg", collapse=False, window=5)
    assert not few.estimated and few.total == 3
    assert set(keys(few)) == {"news:w00", "news:w07", "news:w14"}


TAG_QUERIES = [("chips ticker:intc", {}), ("ticker:NVDA source:bloomberg", {}),
               ("ticker:nvda,intc", {}), ("event:earnings", {}),
               ("nvidia -ticker:intc event:earnings", {}), ("chips", {"ticker": ("intc", "nvda")}),
               ("-nvidia ticker:amd", {"event_type": ("earnings",)})]


async def test_tag_filters_as_a_set_or_probed_per_match_agree(sql_index, monkeypatch) -> None:
    """On FTS5 a tag filter few documents carry is one set the matches are checked against,
    a common one a probe of the tag index per match: both must answer the same."""
    import stockflow.adapters.search.sqlite_fts as fts

    index = sql_index
    assert fts.SMALL_TAG_SET > len(NEWS)  # so the first search below takes the set
    for text, filters in TAG_QUERIES:
        for window in (None, 3):
            kwargs = {"collapse": False, "histogram": "day", "window": window,
                      "filters": filters, "limit": 50}
            as_set = await search(index, text, **kwargs)
            with monkeypatch.context() as m:
                m.setattr(fts, "SMALL_TAG_SET", -1)
                probed = await search(index, text, **kwargs)
            assert [(h.document.key, h.score) for h in as_set.hits] == \
                [(h.document.key, h.score) for h in probed.hits], text
            assert (as_set.total, as_set.facets, as_set.histogram, as_set.estimated) == \
                (probed.total, probed.facets, probed.histogram, probed.estimated), text
    assert keys(await search(index, "chips", filters={"ticker": ("intc",), "type": ("news",)})
                ) == ["news:n3"]


@pytest.mark.postgres
async def test_postgres_plans_each_search_for_its_own_values(postgres_url) -> None:
    """A search's statement text repeats across queries; its plan must not be a generic one
    cached by the prepared statement (it was 7x slower at 1 M documents)."""
    async for ix in postgres_index(postgres_url):
        await ix.ensure_schema()
        await ix.upsert(NEWS)
        seen = []
        choose = ix._small_tag_sets

        async def spy(conn, request, seen=seen, choose=choose):
            seen.append((await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar_one())
            return await choose(conn, request)

        ix._small_tag_sets = spy
        for _ in range(7):  # past the five runs after which a generic plan may be chosen
            assert keys(await search(ix, "chips source:reuters"))
        assert seen == ["force_custom_plan"] * 7
        async with ix.db.engine.connect() as conn:  # the setting stays in the search's transaction
            assert (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar_one() == "auto"


async def test_sqlite_reads_the_window_from_its_covering_index(tmp_path) -> None:
    """FTS5's window of matches is joined to the narrow covering index, not to the documents'
    rows (which hold the bodies), through a search connection with a larger page cache."""
    async for ix in sqlite_index(tmp_path):
        await ix.ensure_schema()
        await ix.upsert(COMPANIES + NEWS)
        statements: list[tuple[str, Any]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many, seen=statements):
            seen.append((statement, parameters))

        sa.event.listen(ix.db.engine.sync_engine, "before_cursor_execute", capture)
        try:
            assert keys(await search(ix, "chips source:reuters", window=2))
        finally:
            sa.event.remove(ix.db.engine.sync_engine, "before_cursor_execute", capture)
        sql, params = next(s for s in statements if "MATCH" in s[0])
        async with ix.db.engine.connect() as conn:
            plan = " | ".join(r[3] for r in await conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {sql}", params))
            cache = (await conn.exec_driver_sql("PRAGMA cache_size")).scalar_one()
        assert "COVERING INDEX ix_search_documents_window" in plan, plan
        assert cache == -SEARCH_CACHE_KIB


async def test_highlights_are_marked_and_escaped(index) -> None:
    await index.upsert([replace(NEWS[2], id="x1", title="Intel <script>alert(1)</script> chips")])
    page = await search(index, "intel chips", filters={"type": ("news",)})
    hit = next(h for h in page.hits if h.document.id == "x1")
    assert "<mark>" in hit.highlights["title"]
    assert "<script>" not in hit.highlights["title"] and "&lt;script&gt;" in hit.highlights["title"]


async def test_cursor_pages_cover_every_hit_once(index) -> None:
    everything = keys(await search(index, "type:news", collapse=False, limit=100))
    assert len(everything) == len(NEWS)
    for query in ("type:news", "data OR chips OR toyota OR bank"):
        full = keys(await search(index, query, collapse=False, limit=100))
        seen, cursor = [], None
        while True:
            page = await search(index, query, collapse=False, limit=2, cursor=cursor)
            seen += keys(page)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == full
    with pytest.raises(InvalidCursor):
        await search(index, "nvidia", cursor="not-a-cursor")
    with pytest.raises(InvalidCursor):
        await search(index, "nvidia", cursor="eyJzIjogIk5hTiJ9")


async def test_one_result_per_story_unless_asked(index) -> None:
    collapsed = keys(await search(index, "nvidia results OR estimates"))
    assert len([k for k in collapsed if k in ("news:n1", "news:n2")]) == 1
    everything = keys(await search(index, "nvidia results OR estimates", collapse=False))
    assert {"news:n1", "news:n2"} <= set(everything)
    page = await search(index, "nvidia results OR estimates")
    assert {b.value: b.count for b in page.facets["type"]}["news"] == 2  # facets count both


async def test_cjk_two_character_queries(index) -> None:
    assert keys(await search(index, "财报")) == ["news:n8"]
    assert keys(await search(index, "自動")) == ["news:n7"]
    hit = (await search(index, "数据中心")).hits[0]
    assert hit.document.key == "news:n8" and "<mark>数据中心</mark>" in hit.highlights["body"]


async def test_upsert_replaces_get_delete_and_purge(index) -> None:
    updated = replace(NEWS[4], sentiment="positive")
    assert await index.upsert([updated]) == 1
    assert await index.get("news:n5") == updated
    assert keys(await search(index, "tesla sentiment:positive")) == ["news:n5"]
    assert await index.delete(["news:n5", "news:absent"]) == 1
    assert await index.get("news:n5") is None
    assert "news:n5" not in keys(await search(index, "tesla"))
    purged = await index.purge(doc_type=DocType.NEWS, published_before=T0 + timedelta(days=1))
    assert purged == 2 and await index.count(DocType.NEWS) == len(NEWS) - 3
    assert await index.purge(doc_type=DocType.COMPANY) == len(COMPANIES)
    assert keys(await search(index, "nvidia", filters={"type": ("company",)})) == []


async def test_suggest_prefix_and_typo_tolerance(index) -> None:
    assert next(s.ticker for s in await index.suggest("nvdia")) == "NVDA"
    assert next(s.ticker for s in await index.suggest("micrsoft")) == "MSFT"
    assert next(s.ticker for s in await index.suggest("NVDA")) == "NVDA"
    apple = [s.ticker for s in await index.suggest("appl")]
    assert apple[:2] == ["AAPL", "APLE"]  # equal match quality: market cap decides
    assert [s.ticker for s in await index.suggest("google")] == ["GOOGL"]
    micro = [s.ticker for s in await index.suggest("micro", limit=2)]
    assert micro == ["MSFT", "MU"]
    assert await index.suggest("   ") == [] and await index.suggest("qqqqqq") == []


async def test_suggest_prefixes_fill_the_list_before_typos(index) -> None:
    # Twelve name prefixes, a more popular company with the word later in its name, and the most
    # popular of all one typo away: prefixes of any word outrank it, by popularity among them.
    await index.upsert_symbols(
        [SuggestEntry(f"company:PX{i}", f"PX{i}", f"Prism Holdings {i}", popularity=float(i))
         for i in range(12)]
        + [SuggestEntry("company:BRSM", "BRSM", "Blue Prism Group", popularity=1e12),
           SuggestEntry("company:PRSN", "PRSN", "Prisn Capital", popularity=5e12)])
    prism = [s.ticker for s in await index.suggest("prism", limit=5)]
    assert prism == ["BRSM", "PX11", "PX10", "PX9", "PX8"]
    # with room left, the typo match follows every prefix
    assert [s.ticker for s in await index.suggest("prism", limit=20)][12:] == ["PX0", "PRSN"]
    # a prefix of nothing: the typo matches, best match first, then popularity
    prizm = await index.suggest("prizm", limit=3)
    assert [s.ticker for s in prizm] == ["BRSM", "PX11", "PX10"]
    assert {s.score for s in prizm} == {match_quality("prizm", "PX1", "Prism", ())[0]}
    assert {"AAPL", "GOOGL"} <= {s.ticker for s in await index.suggest("inc.")}


@pytest.mark.postgres
async def test_postgres_asks_for_close_names_before_the_wide_trigram_query(postgres_url) -> None:
    """The wide trigram query (every name sharing a few of the input's trigrams) runs only when
    the close names leave room for a two-typo match; the answers are the same either way."""
    async for ix in postgres_index(postgres_url):
        await ix.ensure_schema()
        await ix.upsert_symbols(SYMBOLS + [
            SuggestEntry(f"company:PX{i}", f"PX{i}", f"Prism Holdings {i}", popularity=float(i))
            for i in range(12)])
        thresholds: list[str] = []
        ask = ix._typo_candidates

        async def spy(conn, *args, seen=thresholds, ask=ask):
            rows = await ask(conn, *args)
            seen.append((await conn.exec_driver_sql(
                "SHOW pg_trgm.word_similarity_threshold")).scalar_one())
            return rows

        ix._typo_candidates = spy
        # one typo from twelve names, all close: the list is full of one-typo matches
        prisme = await ix.suggest("prisme", limit=5)
        assert [s.ticker for s in prisme] == ["PX11", "PX10", "PX9", "PX8", "PX7"]
        assert thresholds == ["0.6"]
        thresholds.clear()
        # one match, and room left for two-typo names: the wide query runs too
        assert next(s.ticker for s in await ix.suggest("nvdia")) == "NVDA"
        assert thresholds == ["0.6", "0.4"]


HOSTILE = ['"', '""', '"unbalanced', "-", "--x", "OR", "a OR", "OR b", "NOT", "AND", "NEAR(",
           "NEAR(a b, 2)", "*", "nv*", "^nvda", "col:x", "title:nvidia", "{title}: x",
           "ticker:", "ticker:,,", "\x00", "a\x00b", "x" * 5000, "中", "'; DROP TABLE x; --",
           "a & b | !c <-> d", "nvda:*", "\\", "%_%", "((", "))", "+", "😀", "\u202e", "\ud7ff"]


def _generated(n: int) -> list[str]:
    rng = random.Random(15)
    alphabet = ['"', "-", "OR", "NOT", "NEAR(", "*", ":", "col:", "ticker:", "(", ")", "{", "}",
                "\x00", "中国", "nvda", "'", "\\", "&", "|", "!", " ", " ", "data", "*"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25))) for _ in range(n)]


async def test_hostile_queries_never_raise(index) -> None:
    for text in HOSTILE + _generated(150):
        page = await search(index, text)
        assert page.total >= len(page.hits)
        await index.suggest(text)
