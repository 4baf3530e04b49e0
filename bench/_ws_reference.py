"""The same-run reference for bench/ws_fanout: a minimal `websockets` broadcast server that reads
quotes from the same Redis channel and sends each to the clients subscribed to its ticker.

It speaks the same wire as StockFlow's server: no permessage-deflate (see UVICORN_OPTIONS)."""

from __future__ import annotations

import asyncio
import json
import sys

import redis.asyncio as redis
import websockets

CHANNEL = "stream.quotes"
subscribers: dict[str, set] = {}


async def handler(ws) -> None:
    mine: list[str] = []
    try:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("action") == "subscribe":
                for t in msg["tickers"]:
                    subscribers.setdefault(t, set()).add(ws)
                    mine.append(t)
    except websockets.ConnectionClosed:
        pass  # clients leave abruptly at the end of a run
    finally:
        for t in mine:
            subscribers.get(t, set()).discard(ws)


async def pump(url: str) -> None:
    r = redis.from_url(url)
    ps = r.pubsub()
    await ps.subscribe(CHANNEL)
    async for message in ps.listen():
        if message["type"] != "message":
            continue
        for quote in json.loads(message["data"]):
            frame = json.dumps({"type": "quote", "data": quote})
            websockets.broadcast(subscribers.get(quote["ticker"], ()), frame)


async def main(port: int, redis_url: str) -> None:
    async with websockets.serve(handler, "127.0.0.1", port, max_queue=16, ping_interval=None,
                                compression=None):
        await pump(redis_url)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
