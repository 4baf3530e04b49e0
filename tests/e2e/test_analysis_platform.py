"""The analysis context inside the platform: what each tier may read, the daily sync job and
its events, the handler that warms the cache, and vendors switched on by settings (SEC EDGAR
with its 429 block, Alpha Vantage) over real local HTTP."""

from __future__ import annotations

import pytest

from stockflow.analysis.metrics_cache import CachedRatios
from stockflow.analysis.ratios.compute import FREE
from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import FINANCIALS_ANOMALY, FINANCIALS_UPDATED
from stockflow.jobs.service import JobService
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import (
    MARKET_TIME,
    assert_problem,
    backfilled_client,
    make_settings,
    started_client,
)
from tests.e2e.test_analysis_api import EQUITIES
from tests.e2e.users_support import sign_up
from tests.providers.fundamentals_server import serve
from tests.providers.test_sec_fundamentals import TICKERS

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_free_tier_gets_the_latest_annual_statement_and_the_short_ratio_list(users_app):
    _, client, _ = users_app
    free = (await sign_up(client)).headers
    page = await client.get("/v1/financials/AAPL", params={"limit": 8}, headers=free)
    assert page.status_code == 200, page.text
    assert len(page.json()["data"]["items"]) == 1
    assert page.json()["data"]["items"][0]["period"] == "annual"
    assert "free tier" in page.json()["meta"]["limited"]
    ratios = await client.get("/v1/financials/AAPL/ratios", headers=free)
    assert [r["name"] for r in ratios.json()["data"]["periods"][0]["ratios"]] == list(FREE)
    for path, params in (("/v1/financials/AAPL", {"period": "quarter"}),
                         ("/v1/financials/AAPL/ratios", {"names": "altman_z"}),
                         ("/v1/financials/AAPL/growth", {}),
                         ("/v1/financials/AAPL/valuation", {})):
        body = assert_problem(await client.get(path, params=params, headers=free), 403)
        assert "read:financials:full" in body["detail"]
    # The ticker is checked first: an unknown one is a 404 for the free tier too.
    assert_problem(await client.get("/v1/financials/ZZZZ/growth", headers=free), 404)
    # Indicators and comparison need only read:quotes.
    rsi = await client.get("/v1/technical/AAPL/indicators", params={"indicators": "rsi"},
                           headers=free)
    assert rsi.status_code == 200, rsi.text


async def test_pro_tier_gets_everything(users_app):
    _, client, _ = users_app
    pro = (await sign_up(client, tier="pro")).headers
    page = await client.get("/v1/financials/AAPL", params={"period": "quarter", "limit": 8},
                            headers=pro)
    assert len(page.json()["data"]["items"]) == 8 and "limited" not in page.json()["meta"]
    ratios = await client.get("/v1/financials/AAPL/ratios", headers=pro)
    assert len(ratios.json()["data"]["periods"][0]["ratios"]) > len(FREE)
    for path in ("/v1/financials/AAPL/growth", "/v1/financials/AAPL/valuation"):
        assert (await client.get(path, headers=pro)).status_code == 200


async def test_sync_job_publishes_updates_and_anomalies_and_the_handler_warms_ratios(tmp_path):
    container = bootstrap(make_settings(tmp_path, analysis={"preload": False}),
                          clock=FakeClock(MARKET_TIME))
    events = EventCapture()
    for topic in (FINANCIALS_UPDATED, FINANCIALS_ANOMALY):
        container.bus.subscribe(topic.name, "test-capture", events)
    async with backfilled_client(container):
        jobs = container.port(JobService)
        run = await jobs.run("analysis-sync-statements")
        assert run.status == "ok", run
        assert run.stats["synced"] == len(EQUITIES) and run.stats["errors"] == {}
        await eventually(lambda: len(events.of_type(FINANCIALS_UPDATED.name)) == len(EQUITIES))
        assert {e.data["ticker"] for e in events.of_type(FINANCIALS_UPDATED.name)} == set(EQUITIES)
        kinds = {e.data["kind"] for e in events.of_type(FINANCIALS_ANOMALY.name)}
        assert "restatement" in kinds
        ratios = container.port(CachedRatios)

        async def warmed(ticker: str) -> bool:
            key = await ratios._key(ticker, CachedRatios.DEFAULT)
            return await container.platform.cache.get(key) is not None

        for ticker in ("AAPL", "RELIANCE"):
            await eventually(lambda t=ticker: warmed(t), message=f"ratios of {ticker} cached")
        # Nothing new the second time: no update announced.
        again = await jobs.run("analysis-sync-statements")
        assert again.stats["updated"] == []
        assert len(events.of_type(FINANCIALS_UPDATED.name)) == len(EQUITIES)


@pytest.fixture
def vendor():
    yield from serve()


async def test_vendors_from_settings_serve_the_same_endpoints_and_sec_429_falls_back(
        tmp_path, vendor):
    vendor.route("/files/company_tickers.json", body=TICKERS)
    vendor.route("/api/xbrl/companyfacts/CIK0000320193.json",
                 "sec/companyfacts_CIK0000320193_apple_trimmed.json")
    vendor.route("/submissions/CIK0000320193.json",
                 "sec/submissions_CIK0000320193_apple_trimmed.json")
    vendor.route("/api/xbrl/companyfacts/CIK0001318605.json", body=b"blocked", status=429,
                 headers={"Content-Type": "text/html"})
    vendor.route("/query", "alphavantage/note_rate_limit_5_per_minute.json")
    analysis = {"preload": False, "sources": ["sec", "alphavantage", "simulated"],
                "sec": {"enabled": True, "user_agent": "StockFlow tests ops@example.com",
                        "base_url": vendor.url,
                        "tickers_url": f"{vendor.url}/files/company_tickers.json"},
                "alphavantage": {"enabled": True, "api_key": "AVKEY", "base_url": vendor.url}}
    container = bootstrap(make_settings(tmp_path, analysis=analysis,
                                        simulator={"backfill_on_start": False}),
                          clock=FakeClock(MARKET_TIME))
    async with started_client(container) as client:
        page = (await client.get("/v1/financials/AAPL", params={"limit": 2})).json()["data"]
        income = page["items"][0]["statements"]["income"]
        assert income["source"] == "sec"
        revenue = income["sources"]["revenue"]
        assert revenue["concept"].startswith("us-gaap:") and revenue["accession"]
        assert all("ops@example.com" in r.headers["user-agent"] for r in vendor.requests
                   if r.path.startswith(("/api", "/files", "/submissions")))
        # SEC answers TSLA with a 429, Alpha Vantage with its rate-limit note: the simulation
        # answers, and SEC is blocked for its ten minutes.
        tsla = (await client.get("/v1/financials/TSLA")).json()["data"]
        assert tsla["items"][0]["statements"]["income"]["source"] == "simulated"
        _state, detail = await container.registry.health["fundamentals"]()
        assert detail["sources"] == ["sec", "alphavantage", "simulated"]
        assert detail["blocked_for"]["sec"] == pytest.approx(600, abs=5)
