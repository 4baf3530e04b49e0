"""GET /v1/search through the real server against the bare FTS query, on StockFlow as
`stockflow up` builds it (every context, the migrated SQLite storage, the edge middleware).

The index of the running app is filled with the generated news of bench/search.py; then the
same query mix goes three ways in turn: the HTTP route (a pooled httpx client over 127.0.0.1,
one request at a time), `SearchService.search` in-process, and the engine's bare top-20 query.
The three are interleaved query by query. The client shares the server's event loop, so
its own cost counts against the route.

    .venv/bin/python bench/search_api.py --sizes 10000,100000

`--db DIR` puts the app's index on the database bench/search.py kept in DIR for that size
(`search.database_url`); with `--repeat` it measures on what that holds without indexing again:

    .venv/bin/python bench/search_api.py --sizes 1000000 --db /tmp/sf-search --repeat

`--engine` is the app's search engine: `tantivy` (the embedded default; with `--db`, the folder
bench/search.py --engine tantivy kept beside that database) or `sqlite` (FTS5).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import tempfile
import time

import httpx
import uvicorn
from search import bare_search, news_documents, news_terms, pct, query_mix, timed

from stockflow.bootstrap import bootstrap
from stockflow.entrypoints.cli import UVICORN_OPTIONS
from stockflow.entrypoints.http import create_app
from stockflow.search.domain import DocType
from stockflow.search.ports import SearchIndex
from stockflow.search.service import SearchService
from stockflow.settings import Settings


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(tmp: str, engine: str, index_db: str | None = None) -> Settings:
    search = {"engine": "tantivy" if engine == "tantivy" else "database"}
    if index_db:
        search |= {"database_url": f"sqlite:///{index_db}", "index_dir": f"{index_db}.tantivy"}
    return Settings(data_dir=tmp, log={"level": "WARNING"}, services={"live_quotes": False},
                    simulator={"backfill_on_start": False}, search=search,
                    auth={"anonymous_tier": "enterprise",
                          "anonymous_rate_limit": "100000000/minute"})


async def run(size: int, n_queries: int, engine: str, index_db: str | None = None,
              reuse: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="stockflow-search-api-") as tmp:
        container = bootstrap(_settings(tmp, engine, index_db))
        port = _port()
        server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1",
                                               port=port, **{**UVICORN_OPTIONS,
                                                             "lifespan": "on"}))
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
            await asyncio.sleep(0.05)
        try:
            return await _measure(container, port, size, n_queries, engine, reuse)
        finally:
            server.should_exit = True
            await task


async def _measure(container, port: int, size: int, n_queries: int, engine: str,
                   reuse: bool) -> dict:
    index, service = container.port(SearchIndex), container.port(SearchService)
    throughput = None
    if reuse and await index.count(DocType.NEWS) == size:
        words, tickers = news_terms(random.Random(7))  # what news_documents(size) would give
    else:
        docs, words, tickers = news_documents(size)
        t = time.perf_counter()
        for i in range(0, len(docs), 1000):
            await index.upsert(docs[i:i + 1000])
        throughput = size / (time.perf_counter() - t)
        await index.optimize()
    queries = query_mix(words, tickers, n_queries)

    async def bare(q: str) -> None:
        await bare_search(index, "sqlite", q)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        async def api(q: str) -> None:
            r = await client.get("/v1/search", params={"q": q, "type": "news"})
            r.raise_for_status()

        async def direct(q: str) -> None:
            await service.search(q, types=["news"])

        paths = {"api": api, "svc": direct, "bare": bare}
        for q in queries[:10]:  # warm every path alike
            for call in paths.values():
                await call(q)
        # Interleaved query by query, so the machine's drifting load falls on all three alike.
        times: dict[str, list[float]] = {name: [] for name in paths}
        for q in queries:
            for name, call in paths.items():
                times[name] += await timed([lambda call=call, q=q: call(q)])
    http, svc, raw = times["api"], times["svc"], times["bare"]
    return {"size": size, "docs_per_s": throughput,
            **{f"{name}_p{p}": pct(v, p) for name, v in (("api", http), ("svc", svc),
                                                        ("bare", raw)) for p in (50, 95)}}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--engine", choices=["tantivy", "sqlite"], default="tantivy")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--db", help="directory where bench/search.py --db kept its databases")
    parser.add_argument("--repeat", action="store_true",
                        help="with --db: measure on the kept database instead of indexing again")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",") if s):
        index_db = os.path.join(args.db, f"news_{size}.db") if args.db else None
        r = await run(size, args.queries, args.engine, index_db, reuse=args.repeat)
        rate = "reused" if r["docs_per_s"] is None else f"{r['docs_per_s']:,.0f} docs/s"
        print(f"{args.engine:7} api {r['size']:>9,} docs  index {rate:>14}  "
              f"api p50 {r['api_p50']:6.2f} p95 {r['api_p95']:6.2f}  service p50 "
              f"{r['svc_p50']:6.2f} p95 {r['svc_p95']:6.2f}  bare p50 {r['bare_p50']:6.2f} "
              f"p95 {r['bare_p95']:6.2f}  api/bare p50 {r['api_p50'] / r['bare_p50']:.1f}x "
              f"p95 {r['api_p95'] / r['bare_p95']:.1f}x", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
