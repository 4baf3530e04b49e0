"""A live quote's session figures agree with the day's stored bars plus the live ticks since
the last bar, before and after a restart; a restart loses no minute bar."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import RAW_TICKS
from stockflow.core.events import make_event
from stockflow.testing.fakes import FakeClock
from tests.conftest import MARKET_TIME, backfilled_client, make_settings

SESSION_OPEN = datetime(2025, 11, 21, 14, 30, tzinfo=MARKET_TIME.tzinfo)  # New York 09:30


def _settings(tmp_path):
    return make_settings(tmp_path, simulator={"seed": 7, "backfill_years": 1,
                                              "backfill_minute_days": 1})


def _ticks(at: datetime, n: int, base: float) -> list[dict]:
    start = int(at.timestamp() * 1_000_000)
    return [{"provider": "test", "symbol": "NVDA", "seq": start + i, "ts": start + i * 200_000,
             "price": base + (i % 7 - 3) * 0.05, "size": 100 + i} for i in range(n)]


async def _ingest(c, ticks: list[dict]) -> None:
    await c.bus.publish(RAW_TICKS.name, make_event(RAW_TICKS.name, {"ticks": ticks}))
    await c.bus.drain()


async def _minute_bars(client: httpx.AsyncClient, end: datetime) -> list[dict]:
    r = await client.get("/v1/historical/NVDA", params={
        "interval": "1m", "start": SESSION_OPEN.isoformat(), "end": end.isoformat(),
        "limit": 1000})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _expected(bars: list[dict], ticks: list[dict]) -> dict:
    prices = [t["price"] for t in ticks]
    return {"open": bars[0]["open"],
            "high": max(max(b["high"] for b in bars), *prices),
            "low": min(min(b["low"] for b in bars), *prices),
            "volume": sum(b["volume"] for b in bars) + sum(t["size"] for t in ticks)}


async def _session_figures(client: httpx.AsyncClient) -> dict:
    r = await client.get("/v1/quotes/NVDA")
    assert r.status_code == 200, r.text
    q = r.json()["data"]
    return {k: q[k] for k in ("open", "high", "low", "volume")}


def _approx(got: dict, want: dict) -> bool:
    return all(abs(got[k] - want[k]) <= 1e-6 * max(1.0, abs(want[k])) for k in want)


async def test_session_figures_agree_with_stored_bars_across_a_restart(tmp_path):
    clock = FakeClock(MARKET_TIME)
    c = bootstrap(_settings(tmp_path), clock=clock)
    async with backfilled_client(c) as client:
        bars = await _minute_bars(client, MARKET_TIME)
        assert len(bars) == 60  # 14:30 to 15:29, backfilled
        first = _ticks(MARKET_TIME, 20, bars[-1]["close"])
        await _ingest(c, first)
        got = await _session_figures(client)
        assert _approx(got, _expected(bars, first)), (got, _expected(bars, first))
        # Stopped mid-minute, 90 s later: the 15:30 bar is done but not yet past its lateness.
        clock.advance(90)

    later = MARKET_TIME + timedelta(minutes=6, seconds=10)
    c2 = bootstrap(_settings(tmp_path), clock=FakeClock(later))
    async with backfilled_client(c2) as client:
        minute = later.replace(second=0)
        bars = await _minute_bars(client, minute)
        times = [datetime.fromisoformat(b["time"]) for b in bars]
        # No gap: every minute from the open to the one before now, the 15:30 bar from the
        # ticks flushed at shutdown, the minutes while the server was down backfilled.
        assert times == [SESSION_OPEN + timedelta(minutes=i) for i in range(66)]
        flushed = bars[60]
        assert flushed["volume"] == sum(t["size"] for t in first)
        more = _ticks(later, 10, bars[-1]["close"])
        await _ingest(c2, more)
        got = await _session_figures(client)
        assert _approx(got, _expected(bars, more)), (got, _expected(bars, more))
