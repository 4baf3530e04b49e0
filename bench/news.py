"""News hot paths, embedded (no server): near-duplicate lookup at 10 k vs 1 M stored fingerprints,
sentiment latency per article, and articles per second through the whole ingest pipeline.

    .venv/bin/python bench/news.py [--big 1000000] [--articles 2000] [--latency-items 20]
                                   [--transformer 200]

`--transformer N` also times the transformer backend on N English articles, on a classifier of
FinBERT's shape (BERT-base: 12 layers, 768 wide, 512 positions) with random weights: the cost of
a forward pass depends on the shape, not on the weights, so this is FinBERT's CPU latency
without shipping FinBERT. Its vocabulary is the articles' own words (one token per word, where
FinBERT's word pieces make a few more), so the figure is slightly optimistic. Needs torch.

The lookup ratio is time per lookup at 10 k divided by time per lookup at 1 M, both measured in
this run on the same index code: 1.0 means the archive size does not matter.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.news.analysis import Analyser
from stockflow.news.catalog import build_catalog
from stockflow.news.domain import Language
from stockflow.news.entities import EntityExtractor
from stockflow.news.neardup import NearDuplicateIndex
from stockflow.news.ports import InMemoryArticleStore
from stockflow.news.sentiment.linear import LinearSentiment
from stockflow.news.sentiment.per_text import SentimentAnalyser
from stockflow.news.service import NewsService
from stockflow.news.simulated import Move, SimulatedNews
from stockflow.testing.fakes import FakeClock

T0 = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
LOOKUPS = 20_000


def _filled(n: int, rng: np.random.Generator) -> tuple[NearDuplicateIndex, np.ndarray]:
    # Random signatures stand in for stored articles: hashing a million texts would measure
    # datasketch, not the index. All share one timestamp, so none leaves the window.
    index = NearDuplicateIndex(window=timedelta(days=3650))
    sigs = rng.integers(0, 2**32, size=(n, index.num_perm), dtype=np.uint32)
    for i in range(n):
        index.add(f"a{i}", f"a{i}", sigs[i], T0)
    return index, sigs


def _probes(index: NearDuplicateIndex, sigs: np.ndarray,
            rng: np.random.Generator) -> list[np.ndarray]:
    # Half the probes are near-duplicates of stored items (a quarter of values changed), half new.
    probes = []
    for k in range(LOOKUPS):
        if k % 2:
            probes.append(rng.integers(0, 2**32, size=index.num_perm, dtype=np.uint32))
        else:
            probe = sigs[int(rng.integers(len(sigs)))].copy()
            probe[rng.choice(index.num_perm, index.num_perm // 4, replace=False)] = 0
            probes.append(probe)
    return probes


def _lookup_us(index: NearDuplicateIndex, probes: list[np.ndarray]) -> float:
    gc.collect()
    start = time.perf_counter()
    hits = sum(index.query(p, T0) is not None for p in probes)
    elapsed = time.perf_counter() - start
    assert hits >= LOOKUPS // 2 * 0.95, hits  # the near-duplicates were found
    return elapsed / LOOKUPS * 1e6


def bench_lookup(big: int, rounds: int = 5) -> dict[str, float]:
    """Both indexes live at once and are probed in alternation, best of `rounds` each: on a
    shared machine, load that comes and goes then hits both sizes alike."""
    rng = np.random.default_rng(1)
    small_index, small_sigs = _filled(10_000, rng)
    big_index, big_sigs = _filled(big, rng)
    small_probes = _probes(small_index, small_sigs, rng)
    big_probes = _probes(big_index, big_sigs, rng)
    small, large = [], []
    for _ in range(rounds):
        small.append(_lookup_us(small_index, small_probes))
        large.append(_lookup_us(big_index, big_probes))
    out = {"lookup_us_10000": round(min(small), 2), f"lookup_us_{big}": round(min(large), 2)}
    out["lookup_ratio_10k_over_big"] = round(min(small) / min(large), 3)
    return out


async def bench_pipeline(n: int) -> dict[str, float]:
    catalog = build_catalog(listing.instrument for listing in default_universe())
    model = LinearSentiment()
    analyser = Analyser(EntityExtractor(catalog), SentimentAnalyser({Language.EN: model}))
    service = NewsService(InMemoryArticleStore(), analyser, NearDuplicateIndex(), FakeClock(T0))
    sim = SimulatedNews(11, catalog)
    moves = [Move(e.ticker, T0.date(), 0.1) for e in catalog[:10]]
    articles = list(sim.between(T0, T0 + timedelta(minutes=n), moves))[:n]
    model.score("warm up")  # loading the model is start-up, not per-article cost
    analyser.analyse("warm up 英伟达", language="zh")
    latencies = []
    for a in articles:
        if a.language == "en":
            t = time.perf_counter()
            analyser.sentiment.article(a.title, a.body, Language.EN)
            latencies.append((time.perf_counter() - t) * 1e3)
    start = time.perf_counter()
    for a in articles:
        await service.ingest(a)
    elapsed = time.perf_counter() - start
    return {"articles": len(articles), "articles_per_s": round(len(articles) / elapsed, 1),
            "sentiment_p50_ms": round(statistics.median(latencies), 3),
            "sentiment_p95_ms": round(float(np.percentile(latencies, 95)), 3)}


def bench_transformer(n: int) -> dict[str, float]:
    import re

    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    from stockflow.news.sentiment.transformer import TransformerSentiment

    catalog = build_catalog(listing.instrument for listing in default_universe())
    moves = [Move(e.ticker, T0.date(), 0.1) for e in catalog[:10]]
    articles = [a for a in SimulatedNews(11, catalog).between(T0, T0 + timedelta(minutes=4 * n),
                                                                moves) if a.language == "en"][:n]
    words = sorted({w for a in articles for w in re.findall(r"\w+|[^\w\s]",
                                                            f"{a.title} {a.body}".lower())})
    with tempfile.TemporaryDirectory() as folder:
        vocab = f"{folder}/vocab.txt"
        with open(vocab, "w", encoding="utf-8") as f:
            f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
        torch.manual_seed(0)
        config = BertConfig(num_labels=3, id2label={0: "positive", 1: "negative", 2: "neutral"},
                            label2id={"positive": 0, "negative": 1, "neutral": 2})
        BertForSequenceClassification(config).save_pretrained(folder)
        BertTokenizerFast(vocab_file=vocab, do_lower_case=True,
                          model_max_length=512).save_pretrained(folder)
        model = TransformerSentiment(Path(folder))
        start = time.perf_counter()
        model.load()
        load_s = time.perf_counter() - start
    sentiment = SentimentAnalyser({Language.EN: model})
    sentiment.article("warm up", "", Language.EN)
    latencies = []
    for a in articles:
        t = time.perf_counter()
        sentiment.article(a.title, a.body, Language.EN)
        latencies.append((time.perf_counter() - t) * 1e3)
    return {"transformer_articles": len(articles), "transformer_load_s": round(load_s, 2),
            "transformer_threads": torch.get_num_threads(),
            "transformer_sentiment_p50_ms": round(statistics.median(latencies), 1),
            "transformer_sentiment_p95_ms": round(float(np.percentile(latencies, 95)), 1)}


class _Feed:
    """A local RSS feed on a real HTTP server; `add` puts a new item at the top."""

    def __init__(self) -> None:
        self.items: list[str] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                        + "".join(feed.items) + "</channel></rss>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, n: int) -> str:
        link = f"https://bench.test/{n}"
        self.items.insert(0, f"<item><title>NVIDIA bench item {n}</title><link>{link}</link>"
                             f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate></item>")
        return link


async def bench_latency(items: int, poll_s: float) -> dict[str, float]:
    """Publication on a served feed → visible in GET /v1/news, and → queued for a stream
    client subscribed to NVDA (the hub's client queue, before the socket write)."""
    import httpx

    from stockflow.bootstrap import bootstrap
    from stockflow.entrypoints.http import create_app
    from stockflow.news.streaming import NewsHub

    feed = _Feed()
    container = bootstrap(_app_settings({"simulated": False, "loop_seconds": 0.1, "feeds": [
        {"url": feed.url, "poll_interval_s": poll_s}]}))
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    listing, stream = [], []
    try:
        hub = container.port(NewsHub)
        client = hub.connect()
        hub.subscribe(client, ["NVDA"])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench") as http:
            for n in range(items + 1):
                await asyncio.sleep(poll_s * ((n * 0.618) % 1))  # a phase of the poll cycle
                link, t0 = feed.add(n), time.perf_counter()
                seen_stream = seen_list = None
                while seen_list is None or seen_stream is None:
                    if seen_stream is None and any(link in f for f in client.slots.values()):
                        seen_stream = time.perf_counter() - t0
                        client.take()
                    if seen_list is None:
                        r = await http.get("/v1/news", params={"ticker": "NVDA", "limit": 1})
                        if r.json()["data"] and r.json()["data"][0]["url"] == link:
                            seen_list = time.perf_counter() - t0
                    await asyncio.sleep(0.02)
                if n:  # the first item also pays the model load
                    listing.append(seen_list)
                    stream.append(seen_stream)
    finally:
        await container.stop()
        feed.httpd.shutdown()
    return {"feed_poll_s": poll_s, "items": items,
            "visible_listing_p50_s": round(statistics.median(listing), 3),
            "visible_listing_p99_s": round(float(np.percentile(listing, 99)), 3),
            "visible_stream_p50_s": round(statistics.median(stream), 3),
            "visible_stream_p99_s": round(float(np.percentile(stream, 99)), 3)}


def _app_settings(news: dict) -> object:
    from stockflow.settings import Settings

    return Settings(data_dir=tempfile.mkdtemp(), log={"level": "WARNING"},
                    services={"live_quotes": False}, simulator={"backfill_on_start": False},
                    auth={"anonymous_tier": "enterprise",
                          "anonymous_rate_limit": "1000000/minute"}, news=news)


async def bench_app_pipeline(n: int) -> dict[str, float]:
    """Articles/s through the embedded app: intake → in-process bus → analysis handler →
    SQLite, with the sentiment and event announcements and the stream publish."""
    from stockflow.bootstrap import bootstrap
    from stockflow.news.ingest import NewsIngestor

    container = bootstrap(_app_settings({"simulated": False}))
    await container.start()
    try:
        intake = container.port(NewsIngestor).intake
        analysis = container.platform.registry.running_workers["news"].unit
        catalog = build_catalog(listing.instrument for listing in default_universe())
        now = datetime.now(UTC)
        articles = list(SimulatedNews(13, catalog).between(now - timedelta(minutes=n), now))[:n]
        await intake.submit(articles[:1])  # the first pays the model load
        while analysis.stored < 1:
            await asyncio.sleep(0.01)
        start = time.perf_counter()
        await intake.submit(articles[1:])
        while analysis.stored < len(articles):
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - start
    finally:
        await container.stop()
    return {"app_articles": len(articles) - 1,
            "app_articles_per_s": round((len(articles) - 1) / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--latency-items", type=int, default=0,
                        help="also measure feed publication → visible, over this many items")
    parser.add_argument("--poll", type=float, default=5.0, help="feed poll interval (s)")
    parser.add_argument("--transformer", type=int, default=0,
                        help="also time the transformer backend on this many English articles")
    args = parser.parse_args()
    result = asyncio.run(bench_pipeline(args.articles))
    result.update(asyncio.run(bench_app_pipeline(args.articles)))
    if args.latency_items:
        result.update(asyncio.run(bench_latency(args.latency_items, args.poll)))
    if args.transformer:
        result.update(bench_transformer(args.transformer))
    if args.big:
        result.update(bench_lookup(args.big))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
