"""bench/alerts: quotes/s through the alerts evaluator with 1 k and with 1 M active price rules.

The rules (price_above/below, crosses_above/below in equal shares, levels uniform within ±20 % of
the ticker's start price, a third with hysteresis, recurring with a 60 s cooldown) are spread over
a universe of tickers; the same random-walk quote stream (0.1 % steps) goes through both. The goal
is a ratio (1 M / 1 k) >= 0.8: the index makes a quote cost O(log n + matches). A full scan of the
ticker's rules (the reference without an index) is measured in the same run on the 1 M set.
State is the in-memory port; `--redis URL` runs the 1 M set with the Redis state adapter too.

`--delivery` runs the end-to-end delivery figures instead (bench/alerts_delivery.py: webhook
deliveries a minute from `market.quote.updated` to a 2xx, and trigger → delivery p50/p99).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from stockflow.alerts.conditions import Side, Threshold
from stockflow.alerts.domain import FiringPolicy, RuleState, step_threshold
from stockflow.alerts.evaluator import AlertEvaluator, QuoteSeen
from stockflow.alerts.index import IndexedRule
from stockflow.alerts.ports import AlertStateStore, InMemoryAlertStateStore

T0 = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
POLICY = FiringPolicy(cooldown_seconds=60)
BATCH = 500   # the bus's default max_batch
# CPU time of this process: the bench machine is shared, and wall time there measures the
# neighbours as much as the evaluator. (The Redis run waits on the server, so it uses wall time.)
CLOCK = time.process_time
KINDS = [(Side.ABOVE, False), (Side.BELOW, False), (Side.ABOVE, True), (Side.BELOW, True)]


def universe(n: int, rng: random.Random) -> dict[str, float]:
    return {f"T{i:05d}": rng.uniform(5, 500) for i in range(n)}


def rules(n: int, prices: dict[str, float], rng: random.Random) -> list[IndexedRule]:
    tickers = list(prices)
    out = []
    for i in range(n):
        ticker = tickers[rng.randrange(len(tickers))]
        side, crossing = KINDS[i % 4]
        level = prices[ticker] * rng.uniform(0.8, 1.2)
        h = level * 0.005 if i % 3 == 0 else 0.0
        out.append(IndexedRule(f"r{i}", (ticker, "price"), Threshold("price", side, level,
                                                                   crossing=crossing), h, POLICY))
    return out


def out_of_reach(n: int, prices: dict[str, float], rng: random.Random,
                 start: int) -> list[IndexedRule]:
    """Rules of the same kinds whose levels sit 50-90 % away from the start price: the stream's
    0.1 % steps never reach them, so a set padded with them fires exactly as the set it pads,
    and the comparison isolates the index's own cost of holding them."""
    tickers = list(prices)
    out = []
    for i in range(n):
        ticker = tickers[rng.randrange(len(tickers))]
        side, crossing = KINDS[i % 4]
        away = rng.uniform(0.5, 0.9)
        level = prices[ticker] * (1 + away if side is Side.ABOVE else 1 - away)
        out.append(IndexedRule(f"x{start + i}", (ticker, "price"),
                               Threshold("price", side, level, crossing=crossing), 0.0, POLICY))
    return out


def quote_stream(n: int, prices: dict[str, float], rng: random.Random) -> list[tuple[str, float]]:
    last = dict(prices)
    tickers = list(prices)
    out = []
    for _ in range(n):
        t = tickers[rng.randrange(len(tickers))]
        last[t] *= 1.0 + rng.gauss(0.0, 0.001)
        out.append((t, last[t]))
    return out


async def build(rule_set: list[IndexedRule], prices: dict[str, float],
                state: AlertStateStore) -> AlertEvaluator:
    ev = AlertEvaluator(state)
    for r in rule_set:
        # A copy each: an indexed rule carries its placement and state, and the compared
        # evaluators live side by side.
        ev.index.upsert(IndexedRule(r.rule_id, r.stream, r.threshold, r.hysteresis, r.policy),
                        RuleState())
    # Warm-up: one quote per ticker arms the crossing rules and fires the levels already
    # breached, so the timed stream measures the steady state of both sets alike.
    for i, (t, p) in enumerate(prices.items()):
        await ev.on_quote(t, p, None, f"w{i}", T0)
    # A million long-lived rules would otherwise be walked by every full garbage collection;
    # the alerts worker does the same after it has built its index.
    gc.collect()
    gc.freeze()
    return ev


def as_batches(quotes: list[tuple[str, float]]) -> list[list[QuoteSeen]]:
    """Quotes as the bus hands them over: batches of up to BATCH events."""
    seen = [QuoteSeen(t, p, None, f"q{i}", T0 + timedelta(seconds=i))
            for i, (t, p) in enumerate(quotes)]
    return [seen[i:i + BATCH] for i in range(0, len(seen), BATCH)]


async def timed(ev: AlertEvaluator, quotes: list[tuple[str, float]],
                clock: Callable[[], float] = CLOCK) -> tuple[float, int]:
    fired = 0
    start = clock()
    for batch in as_batches(quotes):
        fired += len(await ev.on_quotes(batch))
    return len(quotes) / (clock() - start), fired


async def alternating(evs: list[AlertEvaluator], quotes: list[tuple[str, float]],
                      chunks: int) -> list[tuple[float, int]]:
    """The same stream through several evaluators in turns of a chunk each, the order of the
    turn swapped every chunk: whatever the neighbours do to this machine lands on all of them
    alike, where timing one whole run after the other let a busy minute decide the ratio."""
    batches = as_batches(quotes)
    per = max(1, len(batches) // chunks)
    spent = [0.0] * len(evs)
    fired = [0] * len(evs)
    for c, at in enumerate(range(0, len(batches), per)):
        order = list(range(len(evs)))
        if c % 2:
            order.reverse()
        for k in order:
            start = CLOCK()
            for batch in batches[at:at + per]:
                fired[k] += len(await evs[k].on_quotes(batch))
            spent[k] += CLOCK() - start
    return [(len(quotes) / t, f) for t, f in zip(spent, fired, strict=True)]


def full_scan(rule_set: list[IndexedRule], quotes: list[tuple[str, float]]) -> float:
    """No index: every rule of the quote's ticker is stepped (rules grouped by ticker first)."""
    by_ticker: dict[str, list[IndexedRule]] = {}
    for r in rule_set:
        by_ticker.setdefault(r.stream[0], []).append(r)
    states: dict[str, RuleState] = {}
    prev: dict[str, float] = {}
    start = CLOCK()
    for i, (t, p) in enumerate(quotes):
        for r in by_ticker.get(t, ()):
            states[r.rule_id], _ = step_threshold(r.threshold, r.hysteresis, r.policy,
                                                  states.get(r.rule_id, RuleState()), p,
                                                  prev.get(t), f"q{i}", T0)
        prev[t] = p
    return len(quotes) / (CLOCK() - start)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickers", type=int, default=10_000)
    ap.add_argument("--quotes", type=int, default=200_000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--redis", default="", help="also run the large set on this Redis URL")
    ap.add_argument("--chunks", type=int, default=40,
                    help="turns in which the compared evaluators take the stream")
    ap.add_argument("--equal-quotes", type=int, default=400_000,
                    help="length of the equal-firings stream")
    ap.add_argument("--equal-only", action="store_true",
                    help="only the equal-firings comparison (the goal's figure)")
    args = ap.parse_args()
    rng = random.Random(7)
    prices = universe(args.tickers, rng)
    quotes = quote_stream(args.quotes, prices, random.Random(11))
    small, large = (rules(n, prices, random.Random(n)) for n in (1_000, args.large))
    # With 1 k rules over the universe most quotes are of tickers nobody watches (a dict miss);
    # the second stream keeps only tickers the 1 k set watches, so both sets do index work on
    # every quote: that ratio is the index's own scaling.
    watched = {r.stream[0] for r in small}
    streams = {"all quotes": quotes, "watched tickers": [q for q in quotes if q[0] in watched]}
    for label, stream in streams.items():
        if args.equal_only:
            break
        evs = [await build(rs, prices, InMemoryAlertStateStore()) for rs in (small, large)]
        results = await alternating(evs, stream, args.chunks)
        for n, (qps, fired) in zip((1_000, args.large), results, strict=True):
            print(f"{label:>16}, {n:>9,} rules: {qps:>10,.0f} quotes/s  {fired:>6,} fired "
                  f"({fired / len(stream):.4f} per quote, {len(stream):,} quotes)")
        print(f"{label:>16}: ratio {args.large:,}/1,000 = {results[1][0] / results[0][0]:.2f}"
              "  (firings grow with the rules)")
        del evs
    # Matches held equal: the 1 k set, then the same 1 k padded to the large size with rules the
    # stream never reaches. Same firings, same re-arms; only the number of rules held differs.
    padded = small + out_of_reach(args.large - len(small), prices, random.Random(3), len(small))
    # A stream of its own, of the watched tickers only and long enough (the watched share of
    # the main stream is ~20 k quotes, a few tens of milliseconds of CPU) to time in chunks.
    stream = quote_stream(args.equal_quotes, {t: prices[t] for t in sorted(watched)},
                          random.Random(13))
    evs = [await build(rs, prices, InMemoryAlertStateStore()) for rs in (small, padded)]
    (q1, f1), (q2, f2) = await alternating(evs, stream, args.chunks)
    del evs
    for label, qps, fired in (("1,000", q1, f1), (f"{args.large:,} padded", q2, f2)):
        print(f"  equal firings, {label:>18} rules: {qps:>10,.0f} quotes/s  {fired:>6,} fired")
    assert f1 == f2, "the padding must not change what fires"
    print(f"   equal firings: ratio {q2 / q1:.2f}  (goal >= 0.8; the index's own scaling)")
    print(f"load average {os.getloadavg()}")
    scan = full_scan(large, quotes[:20_000])
    print(f"full scan of the ticker's rules at {args.large:,} (no index): {scan:,.0f} quotes/s")
    if args.redis:
        from stockflow.adapters.alertstate.redis import RedisAlertStateStore
        store = RedisAlertStateStore(args.redis, prefix="bench-alerts:")
        try:
            ev = await build(large, prices, store)
            qps, fired = await timed(ev, quotes[:20_000], time.perf_counter)
            print(f"{args.large:>9,} rules, Redis state: {qps:,.0f} quotes/s ({fired} fired)")
        finally:
            keys = [k async for k in store.client.scan_iter(match="bench-alerts:*", count=5000)]
            for i in range(0, len(keys), 5000):
                await store.client.delete(*keys[i:i + 5000])
            await store.close()


if __name__ == "__main__":
    import sys

    if "--delivery" in sys.argv:
        sys.argv.remove("--delivery")
        from alerts_delivery import main as delivery  # bench/ is on sys.path as the script's

        delivery()
    else:
        asyncio.run(main())
