"""bench/ws_fanout: N WebSocket clients on WS /v1/stream/quotes, quotes driven at a fixed rate
through Redis pub/sub (the scaled-out fan-out path), against a minimal `websockets` broadcast
server fed by the same channel in the same run. Reports deliveries/s, tick-to-client p50/p99,
server memory per connection and the server's CPU (share of one core) while quotes flow. The
clients run in several processes, so that the measuring side is not the bottleneck. Goals:
p99 < 50 ms at 1,000 clients; < 50 KB per connection."""

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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def percentile(sample: list[float], p: float) -> float:
    return sample[min(len(sample) - 1, int(p * len(sample)))] if sample else float("nan")


def drive(redis_url: str, url: str, n: int, k: int, seconds: float, rate: float,
          pid: int, procs: int) -> dict:
    r = redis.Redis.from_url(redis_url)
    base_rss = rss_kb(pid)
    # Several client processes, so that the measuring side is not the bottleneck.
    shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    clients = [subprocess.Popen([sys.executable, str(HERE / "_ws_clients.py"), url, str(m),
                                 str(k), str(seconds)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
               for m in shares if m]
    for c in clients:
        assert c.stdout is not None
        assert json.loads(c.stdout.readline())["event"] == "ready"
    connected_rss = rss_kb(pid)
    time.sleep(2)  # snapshots settle
    for c in clients:  # every process starts its window now
        assert c.stdin is not None
        c.stdin.write("go\n")
        c.stdin.flush()
    cpu_started, started = cpu_seconds(pid), time.time()
    end = started + seconds + 1
    i = 0
    next_at = time.time()
    while time.time() < end:  # `rate` quote messages a second, one ticker each
        t = TICKERS[i % len(TICKERS)]
        quote = {"ticker": t, "price": 100 + i % 10, "sent_at": time.time()}
        r.publish("stream.quotes", json.dumps([quote]))
        i += 1
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.time()))
    cpu = (cpu_seconds(pid) - cpu_started) / (time.time() - started)
    latencies: list[float] = []
    elapsed = 0.0
    for c in clients:
        assert c.stdout is not None
        result = json.loads(c.stdout.readline())
        latencies.extend(result["latencies_ms"])
        elapsed = max(elapsed, result["elapsed"])
        c.wait(timeout=60)
    latencies.sort()
    return {"deliveries_per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5),
            "p99_ms": percentile(latencies, 0.99), "kb_per_conn": (connected_rss - base_rss) / n,
            "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--tickers-per-client", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="quote messages per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--client-procs", type=int, default=0,
                        help="client processes (default: one per 500 clients, at least 2)")
    parser.add_argument("--redis", default=os.environ.get("STOCKFLOW_BENCH_REDIS_URL",
                                                          "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    print("| clients | server | deliveries/s | p50 ms | p99 ms | KB/conn | server CPU |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in args.clients:
        procs = args.client_procs or max(2, -(-n // 500))
        port = free_port()
        ref = subprocess.Popen([sys.executable, str(HERE / "_ws_reference.py"), str(port),
                                args.redis])
        time.sleep(1.5)
        try:
            r = drive(args.redis, f"ws://127.0.0.1:{port}", n, args.tickers_per_client,
                      args.seconds, args.rate, ref.pid, procs)
        finally:
            ref.terminate()
            ref.wait()
        print(row(n, "websockets reference", r), flush=True)
        with Server({"STOCKFLOW_PUBSUB__URL": args.redis,
                     "STOCKFLOW_SERVICES__LIVE_QUOTES": "false",
                     "STOCKFLOW_HTTP__ACCESS_LOG": "false"}) as srv:
            s = drive(args.redis, srv.base.replace("http", "ws") + "/v1/stream/quotes", n,
                      args.tickers_per_client, args.seconds, args.rate, srv.proc.pid,
                      procs)
        print(row(n, "StockFlow", s), flush=True)


def row(n: int, server: str, r: dict) -> str:
    return (f"| {n} | {server} | {r['deliveries_per_s']:,.0f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['kb_per_conn']:.1f} | {r['cpu']:.0%} |")


if __name__ == "__main__":
    main()
