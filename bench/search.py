"""Search and suggest latency, and index throughput, on SQLite FTS5, PostgreSQL full text and
Tantivy (the embedded default: an index folder, its symbols in SQLite).

For each size (generated news, Zipf-distributed words, 500 tickers, story clusters):
index throughput through SearchIndex.upsert, then a fixed mix of queries through
SearchService.search (facets, histogram, story collapsing, highlights) against the bare FTS
query on the same database (top 20 by the engine's rank, nothing else): p50/p95 and their ratio.
Suggest: `--symbols` generated companies, prefixes and one-/two-typo names through
SearchService.suggest against the bare trigram query.

    .venv/bin/python bench/search.py --engine sqlite --sizes 10000,100000
    .venv/bin/python bench/search.py --engine postgresql --sizes 10000 --symbols 100000
    .venv/bin/python bench/search.py --engine tantivy --sizes 10000,100000,1000000 --symbols 0

Building 1 M documents takes minutes; `--db DIR` keeps each size's database (SQLite: a file in
DIR; PostgreSQL: a schema named after the size) and `--repeat` measures on a kept one again
instead of indexing anew:

    .venv/bin/python bench/search.py --sizes 1000000 --symbols 0 --db /tmp/sf-search
    .venv/bin/python bench/search.py --sizes 1000000 --symbols 0 --db /tmp/sf-search --repeat
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import string
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from stockflow.adapters.search.postgres_fts import PostgresSearchIndex, render_tsquery
from stockflow.adapters.search.sqlite_fts import BM25_WEIGHTS, SqliteSearchIndex, render_fts5
from stockflow.adapters.search.sqlparts import Params
from stockflow.adapters.search.tantivy_index import TantivySearchIndex
from stockflow.adapters.storage.database import SqlDatabase
from stockflow.search.config import SearchSettings
from stockflow.search.domain import DocType, SearchDocument, SearchRequest, SuggestEntry
from stockflow.search.query import ParsedQuery, parse
from stockflow.search.service import SearchService
from stockflow.testing.fakes import FakeClock

PG_URL = os.environ.get("STOCKFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SOURCES = ["reuters", "bloomberg", "ft", "wsj", "cnbc", "nikkei", "xinhua", "marketwatch",
           "barrons", "seekingalpha", "benzinga", "ap"]
EVENTS = ["earnings", "guidance", "merger", "recall", "lawsuit", "dividend"]
SYLLABLES = ["ka", "lo", "mi", "ra", "to", "ne", "shi", "vel", "dor", "tra", "quin", "pex",
             "zor", "lum", "bri", "gen", "tek", "sys", "corp", "max", "nova", "ion", "tri", "ul"]


def vocabulary(rng: random.Random, n: int = 20_000) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    ranked = sorted(words)
    rng.shuffle(ranked)  # the Zipf rank of a word has nothing to do with its spelling
    return ranked


def zipf_sampler(rng: random.Random, words: list[str]):
    weights = [1 / (i + 1) for i in range(len(words))]
    cum = list(_accumulate(weights))

    def draw(k: int) -> list[str]:
        return rng.choices(words, cum_weights=cum, k=k)
    return draw


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def news_terms(rng: random.Random) -> tuple[list[str], list[str]]:
    """The vocabulary and tickers of the generated news (what the query mix is drawn from)."""
    words = vocabulary(rng)
    tickers = sorted({"".join(rng.choices(string.ascii_uppercase, k=rng.randint(2, 4)))
                      for _ in range(600)})[:500]
    return words, tickers


def news_documents(n: int, seed: int = 7) -> tuple[list[SearchDocument], list[str], list[str]]:
    rng = random.Random(seed)
    words, tickers = news_terms(rng)
    draw = zipf_sampler(rng, words)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    docs, story = [], None
    for i in range(n):
        story = story if story and rng.random() < 0.2 else f"s{i}"
        docs.append(SearchDocument(
            type=DocType.NEWS, id=f"n{i:08d}", title=" ".join(draw(8)), body=" ".join(draw(60)),
            tickers=tuple(rng.sample(tickers, rng.choice((1, 1, 2)))),
            source=rng.choice(SOURCES), lang="en" if rng.random() < 0.9 else "de",
            sentiment=rng.choice(("positive", "negative", "neutral")),
            event_types=tuple(rng.sample(EVENTS, rng.choice((0, 1, 1, 2)))),
            published_at=start + timedelta(seconds=rng.randint(0, 2 * 365 * 86400)),
            story_id=story))
    return docs, words, tickers


def query_mix(words: list[str], tickers: list[str], k: int, seed: int = 11) -> list[str]:
    """Mostly mid-frequency words (as people search for names and topics), some common ones."""
    rng = random.Random(seed)
    mid = words[50:3000]
    shapes = [
        lambda: rng.choice(mid),
        lambda: f"{rng.choice(mid)} {rng.choice(mid)}",
        lambda: f'"{rng.choice(words[:200])} {rng.choice(words[:200])}"',
        lambda: f"{rng.choice(mid)} OR {rng.choice(mid)} -{rng.choice(mid)}",
        lambda: f"{rng.choice(mid)} ticker:{rng.choice(tickers)}",
        lambda: f"{rng.choice(words[:20])} source:reuters",
    ]
    return [shapes[i % len(shapes)]() for i in range(k)]


SHAPES = 6  # query_mix cycles through six shapes; the report gives each its p50 and worst
SHAPE_NAMES = ("word", "two words", "phrase", "OR/-", "ticker:", "source:")


def bare_query(engine: str, query: str) -> tuple[str, dict]:
    """The engine's own top-20 query for the same words, phrases, OR and exclusions (the
    adapter's rendering), without filters, facets, collapsing or highlights."""
    parsed = parse(query)
    if engine == "sqlite":
        positive, negative = render_fts5(parsed)
        expression = positive if negative is None else f"({positive}) NOT ({negative})"
        return ("SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY "
                f"bm25(search_fts, {BM25_WEIGHTS}) LIMIT 20"), {"q": expression}
    p = Params()
    positive, negative = render_tsquery(parsed, p)
    expression = positive if negative is None else f"({positive}) && !!({negative})"
    return (f"SELECT pk FROM search_documents WHERE tsv @@ ({expression}) ORDER BY "
            f"ts_rank_cd(tsv, ({expression}), 1) DESC LIMIT 20"), p.values


async def bare_search(index, engine: str, q: str) -> None:
    """The engine's own top 20 for the query's words: Tantivy's BM25 through its searcher (in a
    thread, as the adapter runs it), or the SQL of `bare_query` through the driver."""
    if isinstance(index, TantivySearchIndex):
        query, _ = index.queries.build(SearchRequest(ParsedQuery(parse(q).clauses)))
        await asyncio.to_thread(index.searcher.search, query, 20, False)
        return
    sql, params = bare_query(engine, q)
    async with index.db.engine.connect() as conn:
        (await conn.execute(sa.text(sql), params)).all()


async def timed(calls) -> list[float]:
    out = []
    for call in calls:
        t = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def bench_search(index, engine: str, size: int, n_queries: int,
                       window: int | None, reuse: bool = False) -> dict:
    throughput = None
    if reuse and await index.count(DocType.NEWS) == size:
        words, tickers = news_terms(random.Random(7))  # what news_documents(size) would give
    else:
        docs, words, tickers = news_documents(size)
        t = time.perf_counter()
        for i in range(0, len(docs), 1000):
            await index.upsert(docs[i:i + 1000])
        throughput = size / (time.perf_counter() - t)
        await index.optimize()  # what the Reindexer does at the end of a run
    service = SearchService(index, SearchSettings(rank_window=window), FakeClock())
    queries = query_mix(words, tickers, n_queries)
    async def bare(q: str) -> None:
        await bare_search(index, engine, q)

    for q in queries[:10]:  # warm the caches of both paths alike
        await service.search(q)
        await bare(q)
    full = await timed([lambda q=q: service.search(q) for q in queries])
    raw = await timed([lambda q=q: bare(q) for q in queries])
    estimated = sum([(await service.search(q)).estimated for q in queries])
    shapes = [(pct(full[i::SHAPES], 50), max(full[i::SHAPES])) for i in range(SHAPES)]
    return {"size": size, "docs_per_s": throughput, "p50": pct(full, 50), "p95": pct(full, 95),
            "raw_p50": pct(raw, 50), "raw_p95": pct(raw, 95), "estimated": estimated,
            "shapes": shapes}


def symbols(n: int, seed: int = 5) -> list[SuggestEntry]:
    rng = random.Random(seed)
    seen, out = set(), []
    while len(out) < n:
        ticker = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(1, 5)))
        if ticker in seen:
            continue
        seen.add(ticker)
        name = " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
                        for _ in range(rng.randint(1, 3))).title()
        out.append(SuggestEntry(f"company:{ticker}", ticker, name,
                                popularity=rng.paretovariate(1.2)))
    return out


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word))
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + "x" + word[i:]


async def bench_suggest(index, engine: str, n: int, k: int) -> dict:
    if isinstance(index, TantivySearchIndex):  # its symbols and suggestions are SQLite's
        index, engine = index.symbols, "sqlite"
    entries = symbols(n)
    for i in range(0, n, 2000):
        await index.upsert_symbols(entries[i:i + 2000])
    await index.optimize()
    rng = random.Random(3)
    picks = rng.sample(entries, k)
    typed = [e.ticker.lower()[:2] if i % 3 == 0 else
             e.name.lower().split()[0][:5] if i % 3 == 1 else typo(rng, e.name.lower().split()[0])
             for i, e in enumerate(picks)]
    service = SearchService(index, SearchSettings(), FakeClock())
    if engine == "sqlite":
        sql = sa.text("SELECT rowid FROM search_symbols_fts WHERE search_symbols_fts MATCH :q "
                      "ORDER BY rank LIMIT 10")
    else:
        sql = sa.text("SELECT pk FROM search_symbols WHERE :q <% match_text "
                      "ORDER BY word_similarity(:q, match_text) DESC LIMIT 10")

    async def bare(q: str) -> None:
        arg = " OR ".join(f'"{q[i:i + 3]}"' for i in range(len(q) - 2)) if engine == "sqlite" \
            else q
        if len(q) < 3:
            return
        async with index.db.engine.connect() as conn:
            (await conn.execute(sql, {"q": arg})).all()

    for q in typed[:10]:
        await service.suggest(q)
    full = await timed([lambda q=q: service.suggest(q) for q in typed])
    raw = await timed([lambda q=q: bare(q) for q in typed if len(q) >= 3])
    return {"symbols": n, "p50": pct(full, 50), "p95": pct(full, 95),
            "raw_p50": pct(raw, 50), "raw_p95": pct(raw, 95)}


async def open_index(engine: str, tmp: str, kept: str | None = None, reuse: bool = False):
    """A fresh database, or with `kept` (a name per size) one that outlives the run; `reuse`
    keeps what a kept one holds instead of starting it empty."""
    if engine in ("sqlite", "tantivy"):
        path = os.path.join(tmp, f"{kept}.db" if kept else f"search-{uuid.uuid4().hex[:6]}.db")
        for stale in (path, f"{path}-wal", f"{path}-shm") if kept and not reuse else ():
            if os.path.exists(stale):
                os.remove(stale)
        db = SqlDatabase(f"sqlite:///{path}")
        await db.connect()
        index = SqliteSearchIndex(db)
        if engine == "tantivy":
            folder = f"{path}.tantivy"
            if not reuse and os.path.exists(folder):
                shutil.rmtree(folder)
            index = TantivySearchIndex(folder, index)
    else:
        schema = f"bench_search_{kept or uuid.uuid4().hex[:10]}"
        db = SqlDatabase(PG_URL, schema=schema, pool_size=2)
        await db.connect()
        async with db.engine.begin() as conn:
            if kept and not reuse:
                await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        index = PostgresSearchIndex(db)
    await index.ensure_schema()
    return db, index


async def close_index(db: SqlDatabase, index, keep: bool = False) -> None:
    if isinstance(index, TantivySearchIndex):
        await index.close()
    if db.schema and not keep:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{db.schema}" CASCADE')
    await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "tantivy", "both", "all"],
                        default="sqlite")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--symbols", type=int, default=100_000)
    parser.add_argument("--window", default=str(SearchSettings().rank_window),
                        help="matches ranked and counted exactly per search; 'none': all")
    parser.add_argument("--db", help="keep each size's search database (SQLite: a file in this "
                        "directory; PostgreSQL: a schema per size) after the run")
    parser.add_argument("--repeat", action="store_true",
                        help="with --db: measure on the kept database instead of indexing again")
    args = parser.parse_args()
    engines = {"both": ["sqlite", "postgresql"], "all": ["tantivy", "sqlite", "postgresql"]
               }.get(args.engine, [args.engine])
    window = None if args.window.lower() == "none" else int(args.window)
    if args.db:
        os.makedirs(args.db, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stockflow-search-") as tmp:
        for engine in engines:
            for size in (int(s) for s in args.sizes.split(",") if s):
                kept = f"news_{size}" if args.db else None
                db, index = await open_index(engine, args.db or tmp, kept, args.repeat)
                try:
                    r = await bench_search(index, engine, size, args.queries, window,
                                           reuse=args.repeat)
                finally:
                    await close_index(db, index, keep=bool(args.db))
                rate = "reused" if r["docs_per_s"] is None else f"{r['docs_per_s']:,.0f} docs/s"
                print(f"{engine:10} search {r['size']:>9,} docs  index {rate:>14}"
                      f"  p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  bare p50 "
                      f"{r['raw_p50']:6.2f} p95 {r['raw_p95']:6.2f}  ratio p50 "
                      f"{r['p50'] / r['raw_p50']:.1f}x  window {args.window}: "
                      f"{r['estimated']}/{args.queries} estimated", flush=True)
                print("           p50 / worst ms per shape: " + ", ".join(
                    f"{name} {p50:.1f}/{worst:.0f}"
                    for name, (p50, worst) in zip(SHAPE_NAMES, r["shapes"], strict=True)),
                      flush=True)
            if args.symbols:
                db, index = await open_index(engine, tmp)
                try:
                    s = await bench_suggest(index, engine, args.symbols, args.queries)
                finally:
                    await close_index(db, index)
                print(f"{engine:10} suggest {s['symbols']:>8,} symbols  p50 {s['p50']:6.2f} ms "
                      f" p95 {s['p95']:6.2f} ms  bare p50 {s['raw_p50']:6.2f} p95 "
                      f"{s['raw_p95']:6.2f}  ratio p95 {s['p95'] / s['raw_p95']:.1f}x",
                      flush=True)


if __name__ == "__main__":
    asyncio.run(main())
