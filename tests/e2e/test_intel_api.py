"""The intel context through the real app: offline briefs for pro callers (free and anonymous
refused), every number of the answer one of its facts, cached per facts version with one
`intel.report.generated`, the market brief, the operators' view, briefs through a local
OpenAI-compatible server, and the watchlist-brief jobs delivering through a user's channel."""

from __future__ import annotations

import copy
import json

import pytest
import pytest_asyncio

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.digest_repository import SqlDigestStore
from stockflow.alerts.digests import Digests
from stockflow.alerts.ports import InMemoryNotifier
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.schemas import ChannelCreate
from stockflow.alerts.service import AlertRules
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import INTEL_REPORT
from stockflow.intel.checker import check
from stockflow.intel.domain import bundle_from_wire
from stockflow.intel.repository import SqlDeliveryLog
from stockflow.intel.service import IntelService
from stockflow.intel.tasks import WatchlistBriefs
from stockflow.testing.eventually import eventually
from stockflow.testing.fakes import EventCapture, FakeClock
from tests.conftest import MARKET_TIME, assert_problem, backfilled_client, make_settings
from tests.e2e.users_support import ADMIN_KEY, AUTH, sign_up
from tests.providers.conftest import payload_json
from tests.standins import StandIn

pytestmark = pytest.mark.asyncio(loop_scope="session")
# Forecasts fitted on request are the slowest source; the suite keeps them off.
INTEL = {"forecast": False}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("intel")
    settings = make_settings(tmp, auth=AUTH, intel=INTEL, control={"api_key": ADMIN_KEY})
    container = bootstrap(settings, clock=FakeClock(MARKET_TIME))
    published = EventCapture()
    container.bus.subscribe(INTEL_REPORT.name, "test-capture", published)
    async with backfilled_client(container) as client:
        pro, free = await sign_up(client, tier="pro"), await sign_up(client)
        yield container, client, pro, free, published


def data(resp) -> dict:
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def bundle_of(answer: dict):
    return bundle_from_wire({"scope": answer["scope"], "subject": answer["subject"],
                             "assembled_at": answer["generated_at"],
                             "missing": answer["missing"], "facts": answer["facts"]})


async def test_briefs_need_read_predictions(world) -> None:
    _, client, pro, free, _ = world
    assert_problem(await client.get("/v1/intel/AAPL"), 401)
    assert_problem(await client.get("/v1/intel/AAPL", headers=free.headers), 403)
    assert_problem(await client.get("/v1/intel/market", headers=free.headers), 403)
    assert_problem(await client.get("/v1/intel/NOPE", headers=pro.headers), 404)


async def test_offline_brief_is_checked_cited_cached_and_published(world) -> None:
    _, client, pro, _, published = world
    first = data(await client.get("/v1/intel/MSFT", headers=pro.headers))
    assert first["generated_by"] == "template" and not first["cached"]
    ids = {f["id"] for f in first["facts"]}
    assert {"quote.price", "session.state", "ind.rsi_14", "risk.var_95_1d"} <= ids
    assert all(f["source"] for f in first["facts"])
    assert set(first["cites"]) <= ids and "quote.price" in first["cites"]
    verdict = check(first["text"], bundle_of(first))
    assert verdict.ok, verdict.reason()
    again = data(await client.get("/v1/intel/MSFT", headers=pro.headers))
    assert again["cached"] and again["report_id"] == first["report_id"]

    def events() -> list:
        return [e for e in published.events if e.data["report_id"] == first["report_id"]]

    await eventually(events, timeout=30, message="intel.report.generated delivered")
    assert [(e.data["ticker"], e.data["scope"], e.data["facts_version"]) for e in events()] == [
        ("MSFT", "ticker", first["facts_version"])]


async def test_market_brief(world) -> None:
    _, client, pro, _, _ = world
    brief = data(await client.get("/v1/intel/market", headers=pro.headers))
    assert brief["scope"] == "market" and brief["generated_by"] == "template"
    states = {f["id"] for f in brief["facts"] if f["id"].endswith(".state")}
    assert {"session.xnas.state", "session.xnse.state"} <= states
    assert any(c.endswith(".change_pct") for c in brief["cites"])
    assert check(brief["text"], bundle_of(brief)).ok


async def test_operators_see_the_model_state(world) -> None:
    _, client, _, _, _ = world
    assert (await client.get("/api/admin/intel")).status_code == 401
    state = (await client.get("/api/admin/intel", headers={"X-API-Key": ADMIN_KEY})).json()
    assert state["data"] == {"llm": "off", "generated_by": "template"}


async def test_briefs_through_a_local_openai_compatible_server(world) -> None:
    """The model answers with the quote's own figures, so its brief passes and is served."""
    container, _, _, _, _ = world
    recorded = payload_json("openai/chat_completions_gpt-4o-2024-08-06_recorded.json")

    def answer(seen, n):
        doc = seen.body["messages"][1]["content"].split("<facts>\n")[1].split("\n</facts>")[0]
        facts = {f["id"]: f for f in json.loads(doc)["facts"]}
        body = copy.deepcopy(recorded)
        body["choices"][0]["message"]["content"] = (
            f"{facts['ticker']['value']} last traded at {facts['quote.price']['value']:.2f} "
            f"[quote.price], RSI 14 {facts['ind.rsi_14']['value']:.1f} [ind.rsi_14].")
        return 200, body

    from stockflow.adapters.llm.openai_compat import OpenAICompatible

    svc: IntelService = container.port(IntelService)
    with StandIn(answer) as llm:
        svc.writer = OpenAICompatible(llm.url + "/v1", api_key="sk-test", model="gpt-4o",
                                      timeout=5, retries=0)
        try:
            brief, bundle, cached = await svc.brief("KO")
        finally:
            await svc.writer.close()
            svc.writer = None
    assert not cached and brief.generated_by == "llm" and brief.attempts == 1
    assert brief.cites == ("quote.price", "ind.rsi_14") and brief.model == recorded["model"]
    assert check(brief.text, bundle).ok and len(llm.requests) == 1


class Lists:
    """The users context's Watchlists port, in memory."""

    async def watchlists(self, user_id: str) -> list[dict]:
        return [{"id": "w1", "name": "core", "tickers": ["AAPL", "RELIANCE", "GONE"]}]


async def test_watchlist_briefs_job_delivers_once_per_market_and_day(world) -> None:
    container, _, _, _, _ = world
    assert {"intel-watchlist-briefs-us", "intel-watchlist-briefs-in"} <= set(
        container.registry.jobs)
    repo = SqlAlertRepository(container.db)
    rules = AlertRules(repo, AlertsSettings(), container.clock, WebhookGuard(StaticResolver({})))
    await rules.add_channel("u-brief", ChannelCreate(kind=ChannelKind.PUSH,
                                                     target="ntfy://ntfy.sh/briefs"))
    push = InMemoryNotifier("push")
    digests = Digests(SqlDigestStore(container.db), repo, {ChannelKind.PUSH: push}, Lists(),
                      None, container.clock, AlertsSettings())
    log = SqlDeliveryLog(container.db)
    job = WatchlistBriefs(container.port(IntelService), digests, Lists(), log,
                          container.clock, 10)
    us = await job.run("us")
    assert us["sent"] == 1 and us["briefs"] == 1       # AAPL only: RELIANCE is Indian
    (sent,) = push.sent
    assert sent.text.startswith("StockFlow brief: core before the US open")
    assert "AAPL:" in sent.text and "RELIANCE:" not in sent.text
    assert (await job.run("us"))["already"] == 1 and len(push.sent) == 1
    assert (await job.run("in"))["sent"] == 1 and "RELIANCE:" in push.sent[-1].text
    rows = await log.of_user("u-brief")
    assert sorted(r["market"] for r in rows) == ["in", "us"]
    assert all(r["deliveries"][0]["ok"] for r in rows)


SIGNALS = {"ticker": "AAPL", "as_of": "2025-11-21T15:00:00+00:00", "interval": "1d",
           "signals": [{"strategy": "trend", "action": "buy", "strength": 0.62,
                        "confidence": 0.7, "reasons": [{"rule": "sma_cross", "value": 1.2}]},
                       {"strategy": "mean_reversion", "action": "hold", "strength": 0.1,
                        "confidence": 0.4, "reasons": []}],
           "ensemble": {"action": "buy", "votes": {"buy": 1, "hold": 1}}}


async def test_signal_facts_come_from_the_signal_reader(world) -> None:
    """The signals context is not in this build: an in-memory reader stands in for it."""
    from stockflow.intel.facts import FactsAssembler
    from stockflow.intel.ports import InMemorySignals
    from stockflow.intel.template import brief_text
    from stockflow.market.ports import QuoteReader

    container, _, _, _, _ = world
    svc: IntelService = container.port(IntelService)
    facts = FactsAssembler(market=container.port(QuoteReader), clock=container.clock,
                           settings=svc.s, signals=InMemorySignals({"AAPL": SIGNALS}))
    bundle = await facts.ticker("AAPL")
    got = bundle.by_id()
    assert got["sig.trend.action"].value == "buy" and got["sig.trend.strength"].value == 0.62
    assert got["sig.mean_reversion.confidence"].value == 0.4
    assert got["sig.ensemble.action"].value == "buy"
    assert got["sig.trend.action"].as_of.isoformat() == SIGNALS["as_of"]
    text, cites = brief_text(bundle)
    assert "sig.ensemble.action" in cites and check(text, bundle).ok
    without = await FactsAssembler(market=container.port(QuoteReader), clock=container.clock,
                                   settings=svc.s).ticker("AAPL")
    assert not any(f.id.startswith("sig.") for f in without.facts)
    assert "signals: not available in this process" in without.missing
