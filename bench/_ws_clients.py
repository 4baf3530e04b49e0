"""Bench helper process: N WebSocket clients subscribe, then report the latency of quote frames.

Usage: _ws_clients.py URL N TICKERS_PER_CLIENT SECONDS. Prints {"event": "ready"} once every
client is subscribed, then waits for a line on stdin (the start of the measured window, so that
several client processes measure the same window), then prints one JSON line with the raw
latency samples, which the driver merges across processes.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time

import orjson
import websockets

TICKERS = ["NVDA", "MSFT", "AAPL", "AMZN", "GOOGL", "META", "TSLA", "AMD", "AVGO", "JPM",
           "GS", "BAC", "V", "XOM", "CVX", "JNJ", "PFE", "UNH", "WMT", "KO",
           "SPY", "QQQ", "IWM", "DIA", "BTC-USD"]


async def client(url: str, k: int, lat: list[float], ready: asyncio.Event,
                 counter: list[int]) -> None:
    # permessage-deflate is offered, as browsers do: whether it is used is the server's choice.
    async with websockets.connect(url, max_queue=None, ping_interval=None) as ws:
        await ws.send(orjson.dumps({"action": "subscribe",
                                    "tickers": random.sample(TICKERS, k)}).decode())
        counter[0] += 1
        if counter[0] == counter[1]:
            ready.set()
        async for raw in ws:
            # Receive time first: the parse below is the client's cost, not the server's.
            now = time.time()
            msg = orjson.loads(raw)
            if msg.get("type") == "quote" and "sent_at" in msg["data"]:
                lat.append(now - msg["data"]["sent_at"])


async def main(url: str, n: int, k: int, seconds: float) -> None:
    lat: list[float] = []
    ready = asyncio.Event()
    counter = [0, n]
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(client(url, k, lat, ready, counter)))
        if i % 200 == 199:
            await asyncio.sleep(0.05)  # do not stampede the accept queue
    await asyncio.wait_for(ready.wait(), 120)
    print(orjson.dumps({"event": "ready"}).decode(), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    lat.clear()
    started = time.time()
    await asyncio.sleep(seconds)
    sample = lat[:]
    elapsed = time.time() - started
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(orjson.dumps({"elapsed": elapsed, "latencies_ms": [round(x * 1000, 2) for x in sample]})
          .decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
