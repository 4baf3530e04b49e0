"""bench/ws_fanout: N WebSocket clients on WS /v1/stream/quotes, quotes driven at a fixed rate
through Redis pub/sub (the scaled-out fan-out path), against a minimal `websockets` broadcast
server fed by the same channel in the same run. Reports deliveries/s, tick-to-client p50/p99 and
server memory per connection. Goals: p99 < 50 ms at 1,000 clients; < 50 KB per connection."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import HERE, Server, free_port

TICKERS = ["NVDA", "MSFT", "AAPL", "AMZN", "GOOGL", "META", "TSLA", "AMD", "AVGO", "JPM",
           "GS", "BAC", "V", "XOM", "CVX", "JNJ", "PFE", "UNH", "WMT", "KO",
           "SPY", "QQQ", "IWM", "DIA", "BTC-USD"]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def drive(redis_url: str, url: str, n: int, k: int, seconds: float, rate: float,
          pid: int) -> dict:
    r = redis.Redis.from_url(redis_url)
    base_rss = rss_kb(pid)
    clients = subprocess.Popen([sys.executable, str(HERE / "_ws_clients.py"), url, str(n), str(k),
                                str(seconds)], stdout=subprocess.PIPE, text=True)
    assert clients.stdout is not None
    assert json.loads(clients.stdout.readline())["event"] == "ready"
    connected_rss = rss_kb(pid)
    end = time.time() + seconds + 3
    i = 0
    while time.time() < end:  # `rate` quote messages a second, one ticker each
        t = TICKERS[i % len(TICKERS)]
        quote = {"ticker": t, "price": 100 + i % 10, "sent_at": time.time()}
        r.publish("stream.quotes", json.dumps([quote]))
        i += 1
        time.sleep(1 / rate)
    result = json.loads(clients.stdout.readline())
    clients.wait(timeout=60)
    result["kb_per_conn"] = (connected_rss - base_rss) / n
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--tickers-per-client", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="quote messages per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--redis", default=os.environ.get("STOCKFLOW_BENCH_REDIS_URL",
                                                          "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    print("| clients | server | deliveries/s | p50 ms | p99 ms | KB/conn |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in args.clients:
        port = free_port()
        ref = subprocess.Popen([sys.executable, str(HERE / "_ws_reference.py"), str(port),
                                args.redis])
        time.sleep(1.5)
        try:
            r = drive(args.redis, f"ws://127.0.0.1:{port}", n, args.tickers_per_client,
                      args.seconds, args.rate, ref.pid)
        finally:
            ref.terminate()
            ref.wait()
        print(f"| {n} | websockets reference | {r['deliveries_per_s']:,.0f} | {r['p50_ms']:.1f} "
              f"| {r['p99_ms']:.1f} | {r['kb_per_conn']:.1f} |", flush=True)
        with Server({"STOCKFLOW_PUBSUB__URL": args.redis,
                     "STOCKFLOW_SERVICES__LIVE_QUOTES": "false",
                     "STOCKFLOW_HTTP__ACCESS_LOG": "false"}) as srv:
            s = drive(args.redis, srv.base.replace("http", "ws") + "/v1/stream/quotes", n,
                      args.tickers_per_client, args.seconds, args.rate, srv.proc.pid)
        print(f"| {n} | StockFlow | {s['deliveries_per_s']:,.0f} | {s['p50_ms']:.1f} "
              f"| {s['p99_ms']:.1f} | {s['kb_per_conn']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
