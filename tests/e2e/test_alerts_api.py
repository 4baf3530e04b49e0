"""The alerts context through the real app: routes by tier, ownership, pagination, channels
and their verification, and a quote on the bus reaching a local webhook receiver signed."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.policy import default
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook

from stockflow.alerts.digests import Digests
from stockflow.core.catalogue import (
    ALERT_DELIVERED,
    ALERT_TRIGGERED,
    NEWS_PUBLISHED,
    QUOTE_UPDATED,
)
from stockflow.core.jobs import JobSkipped
from stockflow.testing.eventually import eventually
from tests.conftest import assert_problem
from tests.e2e.users_support import ADMIN_KEY, container_with, sign_up
from tests.unit.alerts.receiver import Receiver
from tests.unit.alerts.test_smtp import Inbox, free_port

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def receiver():
    with Receiver() as rx:
        yield rx


@pytest.fixture(scope="module")
def smtp_inbox():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(tmp_path_factory, receiver, smtp_inbox):
    settings = {"control": {"api_key": ADMIN_KEY},
                "alerts": {"webhook_allowed_hosts": ["127.0.0.1/32"],
                           "webhook_allowed_ports": [receiver.port],
                           "max_rules_by_tier": {"free": 0, "pro": 3, "enterprise": 100},
                           "delivery_poll_seconds": 0.2},
                "notify": {"smtp_url": f"smtp://127.0.0.1:{smtp_inbox[1]}?starttls=false"}}
    async with container_with(tmp_path_factory.mktemp("alerts"), "memory",
                              settings=settings) as (container, client):
        seen: dict[str, list] = {ALERT_TRIGGERED.name: [], ALERT_DELIVERED.name: []}
        for topic, events in seen.items():
            async def keep(event, events=events):
                events.append(event)
            container.platform.bus.subscribe(topic, "alerts-test", keep)
        users = {t: await sign_up(client, tier=t) for t in ("pro", "enterprise")}
        users["free"] = await sign_up(client)
        users["other"] = await sign_up(client, tier="enterprise")
        yield container, client, users, seen


def rule_body(channel_id: str, ticker: str = "AAPL", level: float = 200.0) -> dict:
    return {"name": f"{ticker} over {level}", "channel_ids": [channel_id],
            "condition": {"type": "price_above", "ticker": ticker, "level": level}}


async def channel(client, user, kind: str, target: str) -> dict:
    r = await client.post("/v1/alerts/channels", json={"kind": kind, "target": target},
                          headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def test_free_tier_is_refused_and_pro_may_not_add_webhooks(world, receiver):
    _, client, users, _ = world
    r = await client.get("/v1/alerts", headers=users["free"].headers)
    assert_problem(r, 403)
    r = await client.post("/v1/alerts/channels", headers=users["pro"].headers,
                          json={"kind": "webhook", "target": receiver.url + "/hook"})
    assert_problem(r, 403)


async def test_rule_crud_pagination_filters_and_the_tier_cap(world):
    _, client, users, _ = world
    pro = users["pro"]
    push = await channel(client, pro, "push", "ntfy://ntfy.sh/stockflow-test")
    made = []
    for ticker in ("MSFT", "AAPL", "NVDA"):
        r = await client.post("/v1/alerts", json=rule_body(push["id"], ticker), headers=pro.headers)
        assert r.status_code == 201, r.text
        made.append(r.json()["data"])
    over = await client.post("/v1/alerts", json=rule_body(push["id"]), headers=pro.headers)
    assert assert_problem(over, 403)["limit"] == 3
    first = await client.get("/v1/alerts?limit=2", headers=pro.headers)
    body = first.json()
    assert len(body["data"]) == 2 and body["meta"]["has_more"] is True
    rest = await client.get(f"/v1/alerts?limit=2&cursor={body['meta']['next_cursor']}",
                            headers=pro.headers)
    ids = [a["id"] for a in body["data"] + rest.json()["data"]]
    assert sorted(ids) == sorted(a["id"] for a in made) and rest.json()["meta"]["has_more"] is False
    only = await client.get("/v1/alerts?ticker=nvda", headers=pro.headers)
    assert [a["condition"]["ticker"] for a in only.json()["data"]] == ["NVDA"]
    rid = made[0]["id"]
    put = await client.put(f"/v1/alerts/{rid}", headers=pro.headers,
                           json=rule_body(push["id"], "MSFT", 500.0))
    assert put.json()["data"]["condition"]["level"] == 500.0
    paused = await client.post(f"/v1/alerts/{rid}/pause", headers=pro.headers)
    assert paused.json()["data"]["status"] == "paused"
    resumed = await client.post(f"/v1/alerts/{rid}/resume", headers=pro.headers)
    assert resumed.json()["data"]["status"] == "active"
    assert (await client.delete(f"/v1/alerts/{rid}", headers=pro.headers)).status_code == 204
    assert_problem(await client.get(f"/v1/alerts/{rid}", headers=pro.headers), 404)
    assert_problem(await client.get("/v1/alerts?cursor=nope", headers=pro.headers), 422)


async def test_other_users_rules_and_channels_are_404_on_every_method(world):
    _, client, users, _ = world
    owner, other = users["enterprise"], users["other"]
    push = await channel(client, owner, "push", "ntfy://ntfy.sh/stockflow-owner")
    rid = (await client.post("/v1/alerts", json=rule_body(push["id"], "TSLA"),
                             headers=owner.headers)).json()["data"]["id"]
    h = other.headers
    for method, path, body in [
            ("GET", f"/v1/alerts/{rid}", None), ("PUT", f"/v1/alerts/{rid}",
                                                 rule_body(push["id"], "TSLA")),
            ("DELETE", f"/v1/alerts/{rid}", None), ("GET", f"/v1/alerts/{rid}/history", None),
            ("POST", f"/v1/alerts/{rid}/pause", None), ("POST", f"/v1/alerts/{rid}/resume", None),
            ("POST", f"/v1/alerts/{rid}/test", None),
            ("GET", f"/v1/alerts/channels/{push['id']}", None),
            ("DELETE", f"/v1/alerts/channels/{push['id']}", None),
            ("POST", f"/v1/alerts/channels/{push['id']}/verify", None),
            ("POST", f"/v1/alerts/channels/{push['id']}/test", None)]:
        r = await client.request(method, path, json=body, headers=h)
        assert_problem(r, 404)
    # The other user's channel cannot be attached to one's own rule either.
    r = await client.post("/v1/alerts", json=rule_body(push["id"]), headers=h)
    assert_problem(r, 404)
    assert (await client.get(f"/v1/alerts/{rid}", headers=owner.headers)).status_code == 200


async def test_email_channel_is_confirmed_by_the_link_it_was_sent(world, smtp_inbox):
    _, client, users, _ = world
    inbox, _ = smtp_inbox
    pro = users["pro"]
    created = await channel(client, pro, "email", "trader@example.com")
    assert created["verified"] is False and created["verification_sent"] is True
    (_, rcpts, raw) = inbox.mails[-1]
    assert rcpts == ["trader@example.com"]
    text = email.message_from_bytes(raw, policy=default).get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+", text).group(0)
    query = parse_qs(urlsplit(link).query)
    assert query["channel"] == [created["id"]]
    wrong = await client.post(f"/v1/alerts/channels/{created['id']}/verify",
                              json={"token": "x" * 40}, headers=pro.headers)
    assert_problem(wrong, 422)
    ok = await client.post(f"/v1/alerts/channels/{created['id']}/verify",
                           json={"token": query["token"][0]}, headers=pro.headers)
    assert ok.json()["data"]["verified"] is True
    listed = await client.get("/v1/alerts/channels", headers=pro.headers)
    assert created["id"] in [c["id"] for c in listed.json()["data"]]


async def test_a_quote_on_the_bus_reaches_the_webhook_signed_once(world, receiver):
    container, client, users, seen = world
    ent = users["enterprise"]
    hook = await channel(client, ent, "webhook", receiver.url + "/stockflow")
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    shown = await client.get(f"/v1/alerts/channels/{hook['id']}", headers=ent.headers)
    assert "secret" not in shown.json()["data"]
    ping = await client.post(f"/v1/alerts/channels/{hook['id']}/verify", headers=ent.headers)
    assert ping.json()["data"]["verified"] is True
    rid = (await client.post("/v1/alerts", json=rule_body(hook["id"], "ZZTEST", 100.0),
                             headers=ent.headers)).json()["data"]["id"]
    index = container.registry.running_workers["alerts"].unit.index
    await eventually(lambda: rid in index.evaluator.index)   # the CRUD push reached the worker
    before = len(receiver.requests)
    event = QUOTE_UPDATED.event({"ticker": "ZZTEST", "price": 101.5}, key="ZZTEST")
    bus = container.platform.bus
    await bus.publish(QUOTE_UPDATED.name, event)
    await bus.publish(QUOTE_UPDATED.name, event)      # a redelivery: the same event id
    await eventually(lambda: len(receiver.requests) > before)
    history = await client.get(f"/v1/alerts/{rid}/history", headers=ent.headers)
    await eventually(lambda: len(seen[ALERT_DELIVERED.name]) >= 1)
    history = (await client.get(f"/v1/alerts/{rid}/history", headers=ent.headers)).json()["data"]
    assert len(history) == 1 and history[0]["event_id"] == event.id
    (delivery,) = history[0]["deliveries"]
    assert delivery["status"] == "delivered"
    mine = [r for r in receiver.requests[before:] if r.headers["webhook-id"] == delivery["id"]]
    assert len(mine) == 1
    body = Webhook(secret).verify(mine[0].body, mine[0].headers)
    assert body["data"]["alert_id"] == rid and body["data"]["value"] == 101.5
    assert any(e.data["alert_id"] == rid for e in seen[ALERT_TRIGGERED.name])
    fired = await client.post(f"/v1/alerts/{rid}/test", headers=ent.headers)
    assert fired.json()["data"][0]["ok"] is True
    assert receiver.requests[-1].headers["webhook-id"].startswith("msg_test_")


async def test_daily_digest_brings_news_of_watched_tickers_once(world, receiver):
    container, client, users, _ = world
    user = users["other"]
    hook = await channel(client, user, "webhook", receiver.url + "/digest")
    # Digests skip an unverified channel: verify it (a signed ping) before the digest runs.
    ping = await client.post(f"/v1/alerts/channels/{hook['id']}/verify", headers=user.headers)
    assert ping.status_code == 200, ping.text
    before = len(receiver.requests)
    r = await client.post("/v1/watchlists", json={"name": "Tech", "tickers": ["AAPL"]},
                          headers=user.headers)
    assert r.status_code == 201, r.text
    news = NEWS_PUBLISHED.event({"ticker": "AAPL", "title": "Apple beats estimates",
                                 "url": "https://news.example.com/a", "sentiment": 0.7},
                                key="AAPL")
    await container.platform.bus.publish(NEWS_PUBLISHED.name, news)
    store = container.platform.ports.get(Digests).store
    await eventually(lambda: store.top_news(["AAPL"], news.time - timedelta(seconds=1), 5))
    job = container.registry.jobs["alerts-digest-daily"]
    assert (await job.run())["sent"] >= 1
    mine = [q for q in receiver.requests[before:] if q.path == "/digest"]
    assert len(mine) == 1
    body = Webhook(hook["secret"]).verify(mine[0].body, mine[0].headers)
    assert body["data"]["summary"]["news"][0]["title"] == "Apple beats estimates"
    listed = (await client.get("/v1/alerts/digests", headers=user.headers)).json()["data"]
    assert [d["period"] for d in listed] == ["daily"]
    assert listed[0]["deliveries"][0]["channel_id"] == hook["id"]
    with pytest.raises(JobSkipped):
        await job.run()                   # the same day's digest is not sent twice
    assert len([q for q in receiver.requests[before:] if q.path == "/digest"]) == 1


async def test_unverified_email_and_webhook_channels_get_no_alerts(world, receiver, smtp_inbox):
    container, client, users, _ = world
    inbox, _ = smtp_inbox
    ent = users["enterprise"]
    hook = await channel(client, ent, "webhook", receiver.url + "/unverified")
    mail = await channel(client, ent, "email", "unverified@example.com")
    mails = len(inbox.mails)                       # the confirmation link was the last one
    rid = (await client.post("/v1/alerts", headers=ent.headers, json={
        "name": "ZZUNV over 50", "channel_ids": [hook["id"], mail["id"]],
        "policy": {"mode": "recurring", "cooldown_seconds": 0},
        "condition": {"type": "price_above", "ticker": "ZZUNV", "level": 50}})).json()["data"]["id"]
    index = container.registry.running_workers["alerts"].unit.index
    await eventually(lambda: rid in index.evaluator.index)
    bus = container.platform.bus

    async def quote(price: float) -> None:
        await bus.publish(QUOTE_UPDATED.name, QUOTE_UPDATED.event(
            {"ticker": "ZZUNV", "price": price}, key="ZZUNV"))

    async def deliveries() -> list[dict]:
        rows = (await client.get(f"/v1/alerts/{rid}/history", headers=ent.headers)).json()
        return [d for h in rows["data"] for d in h["deliveries"]]

    async def settled(n: int) -> bool:
        found = await deliveries()
        return len(found) == n and all(d["status"] != "pending" for d in found)

    await quote(51.0)
    await eventually(lambda: settled(2))
    assert {d["status"] for d in await deliveries()} == {"failed"}
    assert all("not verified" in d["last_error"] for d in await deliveries())
    assert not [q for q in receiver.requests if q.path == "/unverified"]
    assert len(inbox.mails) == mails
    # Nor do test-fires and test pings reach them.
    fired = (await client.post(f"/v1/alerts/{rid}/test", headers=ent.headers)).json()["data"]
    assert [r["ok"] for r in fired] == [False, False]
    for c in (hook, mail):
        ping = await client.post(f"/v1/alerts/channels/{c['id']}/test", headers=ent.headers)
        assert ping.json()["data"]["ok"] is False and "not verified" in ping.json()["data"]["error"]
    assert not [q for q in receiver.requests if q.path == "/unverified"]
    assert len(inbox.mails) == mails

    # Verified, both get the next firing.
    ok = await client.post(f"/v1/alerts/channels/{hook['id']}/verify", headers=ent.headers)
    assert ok.json()["data"]["verified"] is True
    link = re.search(r"https?://\S+", email.message_from_bytes(
        inbox.mails[-1][2], policy=default).get_body(("plain",)).get_content()).group(0)
    token = parse_qs(urlsplit(link).query)["token"][0]
    ok = await client.post(f"/v1/alerts/channels/{mail['id']}/verify", json={"token": token},
                           headers=ent.headers)
    assert ok.json()["data"]["verified"] is True
    await quote(49.0)
    await quote(52.0)
    await eventually(lambda: settled(4))
    assert sorted(d["status"] for d in await deliveries()) == ["delivered", "delivered",
                                                               "failed", "failed"]
    assert len([q for q in receiver.requests if q.path == "/unverified"
                and b"alert.triggered" in q.body]) == 1
    assert inbox.mails[-1][1] == ["unverified@example.com"]
