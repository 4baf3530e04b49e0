"""Intel briefs. Offline (the template, no model): `GET /v1/intel/{ticker}` through the app
in-process with both caches off, so every request assembles the facts and writes the brief,
p50/p95 beside the raw reference of assembling the same facts straight through the assembler;
and the cached answer. With a local OpenAI-compatible server answering after a fixed delay:
a brief written by the model (checked, cited) against a raw httpx POST of the same messages
to the same server, so what is left is the platform's own overhead beside the model's time.

    .venv/bin/python bench/intel.py [--rounds 40] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import free_port

from stockflow.adapters.llm.openai_compat import OpenAICompatible
from stockflow.bootstrap import bootstrap
from stockflow.entrypoints.http import create_app
from stockflow.intel import prompt
from stockflow.intel.checker import check
from stockflow.intel.service import IntelService
from stockflow.market.tasks import InitialBackfill
from stockflow.settings import Settings

HERE = Path(__file__).resolve().parent
OPEN = {"anonymous_tier": "enterprise", "anonymous_rate_limit": "1000000000/minute"}
TICKERS = ("AAPL", "MSFT", "KO", "JPM", "RELIANCE", "TCS")


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] * 1000


def line(name: str, xs: list[float], ref: list[float] | None = None) -> str:
    out = f"{name:42s} p50 {pct(xs, 50):8.2f} ms  p95 {pct(xs, 95):8.2f} ms"
    if ref is not None:
        out += f"  p95 ratio {pct(xs, 95) / pct(ref, 95):5.2f}x"
    return out


async def timed(fn) -> float:
    t0 = time.perf_counter()
    await fn()
    return time.perf_counter() - t0


async def offline(client: httpx.AsyncClient, svc: IntelService, rounds: int) -> None:
    api, raw = [], []
    for k in range(rounds):
        t = TICKERS[k % len(TICKERS)]

        async def route(t=t):
            r = await client.get(f"/v1/intel/{t}")
            assert r.status_code == 200 and r.json()["data"]["generated_by"] == "template"

        async def assemble(t=t):
            await svc.assembler.ticker(t)

        api.append(await timed(route))
        raw.append(await timed(assemble))
    print(line("facts assembled directly: raw", raw))
    print(line("GET /v1/intel/{ticker}, template, no cache", api, raw))
    svc.s.cache_seconds, svc.s.facts_seconds = 900, 60
    await client.get("/v1/intel/AAPL")
    cached = [await timed(lambda: client.get("/v1/intel/AAPL")) for _ in range(rounds)]
    print(line("GET /v1/intel/AAPL, cached", cached, raw))
    svc.s.cache_seconds, svc.s.facts_seconds = 0, 0


async def with_model(svc: IntelService, rounds: int, delay: float, url: str) -> None:
    writer = OpenAICompatible(url, api_key="sk-bench", model="gpt-4o", timeout=30, retries=0)
    raw_client = httpx.AsyncClient(timeout=30)
    try:
        svc.writer = writer
        bundles = [await svc.assembler.ticker(t) for t in TICKERS]
        llm, raw = [], []
        for k in range(rounds):
            b = bundles[k % len(bundles)]

            async def brief(b=b):
                out = await svc.generate(b)
                assert out.generated_by == "llm", out.to_wire()

            async def post(b=b):
                r = await raw_client.post(url + "/chat/completions",
                                          json={"model": "gpt-4o",
                                                "messages": prompt.messages(b)})
                assert r.status_code == 200

            llm.append(await timed(brief))
            raw.append(await timed(post))
        over = [a - b for a, b in zip(llm, raw, strict=True)]
        # The platform's own work per brief, timed alone on the same bundles: the prompt, the
        # checker on the model's answer, the usage accounting.
        answer = (await svc.writer.complete(prompt.messages(bundles[0])))
        work = []
        for k in range(rounds):
            b = bundles[k % len(bundles)]
            t0 = time.perf_counter()
            prompt.messages(b)
            check(answer.text, b)
            svc.account(answer)
            work.append(time.perf_counter() - t0)
        print(line(f"model alone (raw POST, {delay * 1000:.0f} ms delay)", raw))
        print(line("brief written by the model, checked", llm, raw))
        print(f"{'platform overhead (brief - raw, per pair)':42s} p50 "
              f"{statistics.median(over) * 1000:8.2f} ms  mean "
              f"{statistics.fmean(over) * 1000:8.2f} ms  "
              f"share of the brief {statistics.fmean(over) / statistics.fmean(llm):6.1%}")
        print(line("platform work alone (prompt, checker, usage)", work))
        print(f"{'platform work / model time (p50)':42s} "
              f"{statistics.median(work) / statistics.median(raw):8.4f}x")
    finally:
        svc.writer = None
        await writer.close()
        await raw_client.aclose()


async def main(rounds: int, delay: float, url: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-intel-"))
    # Forecasts fitted on request cost seconds per ticker and would be all the figure shows;
    # the scheduled batch makes them ahead of time in a deployment, so they are off here.
    settings = Settings(data_dir=tmp, auth=OPEN, log={"level": "ERROR"},
                        services={"live_quotes": False},
                        simulator={"seed": 7, "backfill_years": 2, "backfill_minute_days": 1},
                        intel={"forecast": False, "cache_seconds": 0, "facts_seconds": 0})
    container = bootstrap(settings)
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    try:
        await container.port(InitialBackfill).done.wait()
        svc = container.port(IntelService)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench") as client:
            for t in TICKERS:                       # warm: first reads, TA-Lib, statements
                assert (await client.get(f"/v1/intel/{t}")).status_code == 200
            await offline(client, svc, rounds)
        await with_model(svc, rounds, delay, url)
    finally:
        await container.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--delay", type=float, default=0.2, help="the model's time, in seconds")
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "_llm.py"), str(port), str(args.delay)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        asyncio.run(main(args.rounds, args.delay, base + "/v1"))
    finally:
        server.terminate()
        server.wait()
