"""Digests on SQLite: what fired, the watchlists' moves from daily closes, the top headlines;
sent through the user's channels once per period, and nothing for a user with nothing new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.digest_repository import SqlDigestStore
from stockflow.alerts.digests import Digests
from stockflow.alerts.evaluator import AlertEvaluator, QuoteSeen
from stockflow.alerts.ports import InMemoryAlertStateStore, InMemoryNotifier
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules, TriggerRecorder
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.market.domain import Bar, Interval
from stockflow.testing.fakes import FakeClock

NOW = datetime(2026, 1, 9, 22, 0, tzinfo=UTC)


class Lists:
    """The users context's Watchlists port, in memory."""

    def __init__(self, by_user: dict[str, list[str]]) -> None:
        self.by_user = by_user

    async def watchlists(self, user_id: str) -> list[dict]:
        return [{"name": "main", "tickers": self.by_user.get(user_id, [])}]


class Closes:
    """The part of the market's MarketReader port digests read: daily bars."""

    def __init__(self, closes: dict[str, list[tuple[datetime, float]]]) -> None:
        self.closes = closes

    async def bars(self, ticker, interval, start, end, limit, *, after=None):
        assert interval is Interval.D1
        return [Bar(ticker, interval, t, c, c, c, c, 1000) for t, c in self.closes[ticker]
                if start <= t <= end][:limit]


async def test_daily_digest_content_and_once_per_day(repo):
    clock = FakeClock(NOW - timedelta(hours=2))
    rules = AlertRules(repo, AlertsSettings(), clock, WebhookGuard(StaticResolver({})))
    push, _ = await rules.add_channel("u1", ChannelCreate(kind=ChannelKind.PUSH,
                                                          target="ntfy://ntfy.sh/d"))
    await rules.add_channel("u1", ChannelCreate(kind=ChannelKind.SMS, target="+14155552671"))
    await rules.add_channel("u2", ChannelCreate(kind=ChannelKind.PUSH, target="ntfy://ntfy.sh/e"))
    rule = await rules.create("u1", "pro", AlertCreate.model_validate({
        "name": "AAPL 200", "channel_ids": [push.id],
        "condition": {"type": "price_above", "ticker": "AAPL", "level": 200}}))
    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules(await repo.active_rules())
    await TriggerRecorder(ev, repo).on_quotes([QuoteSeen("AAPL", 205.0, None, "q1", clock.now())])
    store = SqlDigestStore(repo.db)
    await store.remember_news([
        {"event_id": "n1:AAPL", "ticker": "AAPL", "title": "Mild", "url": "", "sentiment": 0.1,
         "seen_at": clock.now()},
        {"event_id": "n2:AAPL", "ticker": "AAPL", "title": "Strong", "url": "", "sentiment": -0.9,
         "seen_at": clock.now()},
        {"event_id": "n3:AAPL", "ticker": "AAPL", "title": "Old", "url": "", "sentiment": 1.0,
         "seen_at": clock.now() - timedelta(days=3)}])
    day = NOW.replace(hour=0)
    market = Closes({"AAPL": [(day - timedelta(days=2), 190.0), (day - timedelta(days=1), 200.0),
                              (day, 210.0)]})
    notifier = InMemoryNotifier("push")
    digests = Digests(store, repo, {ChannelKind.PUSH: notifier}, Lists({"u1": ["AAPL"]}),
                      market, FakeClock(NOW), AlertsSettings(digest_top_news=2))
    assert await repo.take_sms("u1", (NOW - timedelta(days=5)).date(), 3)
    assert await digests.run("daily") == {"sent": 1, "empty": 1, "already": 0, "no_channel": 0}
    assert await repo.sms_sent("u1", (NOW - timedelta(days=5)).date()) == 0   # purged daily
    (sent,) = notifier.sent          # the push channel; no SMS notifier is configured
    summary = sent.payload["data"]["summary"]
    assert [f["alert_id"] for f in summary["triggered"]] == [rule.id]
    assert summary["moves_pct"] == {"AAPL": 5.0}     # 200 (the close before) -> 210
    assert [n["title"] for n in summary["news"]] == ["Strong", "Mild"]
    assert "AAPL: +5.00 %" in sent.text and "Strong" in sent.text
    assert await digests.run("daily") == {"sent": 0, "empty": 1, "already": 1, "no_channel": 0}
    (row,) = await store.digests_of("u1")
    assert row["deliveries"] == [{"channel_id": push.id, "ok": True, "status": None,
                                  "error": ""}]


async def test_a_digest_skips_an_unverified_email_channel(repo):
    clock = FakeClock(NOW - timedelta(hours=2))
    rules = AlertRules(repo, AlertsSettings(), clock, WebhookGuard(StaticResolver({})))
    email, _ = await rules.add_channel("u1", ChannelCreate(kind=ChannelKind.EMAIL,
                                                           target="me@example.com"))
    push, _ = await rules.add_channel("u1", ChannelCreate(kind=ChannelKind.PUSH,
                                                          target="ntfy://ntfy.sh/d"))
    assert (await repo.get_channels([email.id]))[email.id].unverified
    store = SqlDigestStore(repo.db)
    await store.remember_news([{"event_id": "n1:AAPL", "ticker": "AAPL", "title": "Strong",
                                "url": "", "sentiment": 0.9, "seen_at": clock.now()}])
    mail, ntfy = InMemoryNotifier("email"), InMemoryNotifier("push")
    digests = Digests(store, repo, {ChannelKind.EMAIL: mail, ChannelKind.PUSH: ntfy},
                      Lists({"u1": ["AAPL"]}), Closes({"AAPL": []}), FakeClock(NOW),
                      AlertsSettings())
    assert (await digests.run("daily"))["sent"] == 1
    assert mail.sent == [] and len(ntfy.sent) == 1
    (row,) = await store.digests_of("u1")
    assert [d["channel_id"] for d in row["deliveries"]] == [push.id]
