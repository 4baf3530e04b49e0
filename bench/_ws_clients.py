"""Bench helper process: N WebSocket clients subscribe, then report latency of quote frames.

Usage: _ws_clients.py URL N TICKERS_PER_CLIENT SECONDS; prints one JSON line of results.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

import websockets

TICKERS = ["NVDA", "MSFT", "AAPL", "AMZN", "GOOGL", "META", "TSLA", "AMD", "AVGO", "JPM",
           "GS", "BAC", "V", "XOM", "CVX", "JNJ", "PFE", "UNH", "WMT", "KO",
           "SPY", "QQQ", "IWM", "DIA", "BTC-USD"]


async def client(url: str, k: int, stop: float, lat: list[float], ready: asyncio.Event,
                 counter: list[int]) -> None:
    async with websockets.connect(url, max_queue=None, ping_interval=None) as ws:
        await ws.send(json.dumps({"action": "subscribe", "tickers": random.sample(TICKERS, k)}))
        counter[0] += 1
        if counter[0] == counter[1]:
            ready.set()
        while time.time() < stop:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, stop - time.time()))
            except TimeoutError:
                break
            msg = json.loads(raw)
            if msg.get("type") == "quote" and "sent_at" in msg["data"]:
                lat.append(time.time() - msg["data"]["sent_at"])


async def main(url: str, n: int, k: int, seconds: float) -> None:
    lat: list[float] = []
    ready = asyncio.Event()
    counter = [0, n]
    stop = time.time() + seconds + 30
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(client(url, k, stop, lat, ready, counter)))
        if i % 200 == 199:
            await asyncio.sleep(0.05)  # do not stampede the accept queue
    await asyncio.wait_for(ready.wait(), 120)
    print(json.dumps({"event": "ready"}), flush=True)
    await asyncio.sleep(2)  # snapshots settle
    lat.clear()
    started = time.time()
    await asyncio.sleep(seconds)
    sample = sorted(lat)
    elapsed = time.time() - started
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    def pct(p: float) -> float:
        return sample[min(len(sample) - 1, int(p * len(sample)))] * 1000 if sample else float("nan")

    print(json.dumps({"deliveries_per_s": len(sample) / elapsed, "p50_ms": pct(0.5),
                      "p99_ms": pct(0.99), "count": len(sample)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
