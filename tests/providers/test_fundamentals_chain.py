"""The fundamentals failover: SEC's 429 blocks it for ten minutes and the next source answers."""

from __future__ import annotations

import pytest

from stockflow.adapters.providers.alphavantage.fundamentals import AlphaVantageFundamentals
from stockflow.adapters.providers.sec.provider import SecEdgarFundamentals
from stockflow.analysis.sources import FundamentalsChain
from stockflow.core.resilience import TokenBucket
from stockflow.core.resilience.chain import ChainExhausted
from stockflow.testing.fakes import FakeClock
from tests.providers.fundamentals_server import serve
from tests.providers.test_sec_fundamentals import TICKERS
from tests.providers.test_vendor_fundamentals import AV


@pytest.fixture
def server():
    yield from serve()


@pytest.fixture
async def chain(server):
    clock = FakeClock()
    sec = SecEdgarFundamentals("StockFlow tests ops@example.com", base_url=server.url,
                               tickers_url=f"{server.url}/files/company_tickers.json",
                               max_per_second=1000, timeout=2)
    av = AlphaVantageFundamentals("AVKEY", base_url=server.url, timeout=2)
    limiters = {"sec": TokenBucket(10, 10, clock=clock, name="sec")}
    yield FundamentalsChain("fundamentals", [sec, av], clock=clock, limiters=limiters), clock
    await sec.aclose()
    await av.aclose()


def _route_av(server) -> None:
    for function, name in AV.items():
        server.route("/query", f"alphavantage/{name}.json", match={"function": function})


async def test_sec_429_falls_back_and_blocks_sec_for_ten_minutes(server, chain) -> None:
    fundamentals, clock = chain
    server.route("/files/company_tickers.json", body={"9": {"cik_str": 51143, "ticker": "IBM",
                                                            "title": "IBM"}, **TICKERS})
    server.route("/api/xbrl/companyfacts/CIK0000051143.json", body=b"blocked", status=429,
                 headers={"Content-Type": "text/html"})
    _route_av(server)
    statements = await fundamentals.statements("IBM")
    assert {s.source for s in statements} == {"alphavantage"}
    assert any(r.path == "/api/xbrl/companyfacts/CIK0000051143.json" for r in server.requests)
    assert fundamentals.limiters["sec"].blocked_for == pytest.approx(600)
    server.requests.clear()
    await fundamentals.statements("IBM")
    assert not any(r.path.startswith("/api/xbrl") for r in server.requests)   # SEC skipped
    clock.advance(601)
    server.route("/api/xbrl/companyfacts/CIK0000051143.json",
                 "sec/companyfacts_CIK0000320193_apple_trimmed.json")
    assert {s.source for s in await fundamentals.statements("IBM")} == {"sec"}


async def test_every_source_failing_is_chain_exhausted(server, chain) -> None:
    fundamentals, _ = chain
    server.route("/files/company_tickers.json", body=TICKERS)     # SEC does not know IBM
    server.route("/query", "alphavantage/note_rate_limit_5_per_minute.json")
    with pytest.raises(ChainExhausted) as caught:
        await fundamentals.statements("IBM")
    assert set(caught.value.errors) == {"sec", "alphavantage"}
