"""Daily and weekly digests: per user, the rules that fired in the period, how the tickers of
their watchlists moved (daily closes from the market's `MarketReader`), and the period's top
headlines of those tickers when the news context's events have been seen. Sent through the
user's enabled channels of the kinds in `digest_kinds`, recorded in `alert_digests` (one row
per user, period and end date, so a rerun of the job sends nothing twice)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from stockflow.alerts.channels import message_for
from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.digest_repository import SqlDigestStore
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.core.ports import Clock
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketReader
from stockflow.users.ports import Watchlists

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def _move(closes: list[float]) -> float | None:
    if len(closes) < 2 or not closes[0]:
        return None
    return round((closes[-1] / closes[0] - 1.0) * 100.0, 2)


class Digests:
    def __init__(self, store: SqlDigestStore, repo: SqlAlertRepository, notifiers: Any,
                 watchlists: Watchlists | None, market: MarketReader | None, clock: Clock,
                 settings: AlertsSettings) -> None:
        self.store = store
        self.repo = repo
        self.notifiers = notifiers
        self.watchlists = watchlists
        self.market = market
        self.clock = clock
        self.settings = settings

    async def run(self, period: str) -> dict[str, int]:
        now = self.clock.now()
        counts = {"sent": 0, "empty": 0, "already": 0, "no_channel": 0}
        for user_id in await self.store.users_with_channels():
            counts[await self.send(user_id, period, now)] += 1
        await self.store.forget_news(now - timedelta(days=self.settings.news_retention_days))
        # The SMS allowance counts UTC days; yesterday's row is kept for a run near midnight.
        await self.repo.forget_sms_usage((now - timedelta(days=1)).date())
        return counts

    async def summary(self, user_id: str, since: datetime, until: datetime) -> dict[str, Any]:
        tickers: list[str] = []
        for wl in await self.watchlists.watchlists(user_id) if self.watchlists else []:
            tickers += [t for t in wl.get("tickers", []) if t not in tickers]
        fired = await self.store.fired(user_id, since)
        moves = {t: m for t in tickers if (m := await self._move(t, since, until)) is not None}
        news = (await self.store.top_news(tickers, since, self.settings.digest_top_news)
                if tickers and self.settings.digest_top_news else [])
        return {"since": since.isoformat(), "until": until.isoformat(),
                "triggered": [{**f, "triggered_at": f["triggered_at"].isoformat()} for f in fired],
                "moves_pct": moves,
                "news": [{"ticker": n["ticker"], "title": n["title"], "url": n["url"],
                          "sentiment": n["sentiment"]} for n in news]}

    async def _move(self, ticker: str, since: datetime, until: datetime) -> float | None:
        if self.market is None:
            return None
        try:
            bars = await self.market.bars(ticker, Interval.D1, since - timedelta(days=4),
                                          until, 30)
        except Exception:  # noqa: BLE001 - an unknown or delisted ticker has no move to show
            return None
        before = [b.close for b in bars if b.time < since]
        after = [b.close for b in bars if b.time >= since]
        return _move(before[-1:] + after) if after else None

    async def send(self, user_id: str, period: str, now: datetime) -> str:
        digest_id = f"{user_id}:{period}:{now.date().isoformat()}"
        if await self.store.sent(digest_id):
            return "already"
        since = now - PERIODS[period]
        summary = await self.summary(user_id, since, now)
        if not (summary["triggered"] or summary["moves_pct"] or summary["news"]):
            return "empty"
        subject = f"Your StockFlow {period} digest"
        results = await self.deliver(user_id, subject, render_text(subject, summary), now,
                                     "digest", period=period, summary=summary)
        if not results:
            return "no_channel"
        await self.store.record({"id": digest_id, "user_id": user_id, "period": period,
                                 "period_start": since, "sent_at": now, "summary": summary,
                                 "deliveries": results})
        return "sent"


    async def recipients(self) -> list[str]:
        """Users with an enabled channel: whom a scheduled message can reach."""
        return await self.store.users_with_channels()

    async def deliver(self, user_id: str, subject: str, text: str, now: datetime,
                      kind: str = "digest", **data: Any) -> list[dict[str, Any]]:
        """Send a finished text (a digest, an intel brief) through the user's enabled channels
        of the digest kinds; one result per channel, none when the user has no such channel.
        An unverified e-mail or webhook channel gets nothing but its verification (as alerts)."""
        kinds = set(self.settings.digest_kinds)
        channels = [c for c in await self.repo.list_channels(user_id)
                    if c.enabled and not c.unverified and c.kind.value in kinds
                    and c.kind in self.notifiers]
        results = []
        for c in channels:
            message = message_for(c, subject, text, now, f"{kind}_{uuid.uuid4().hex}", **data)
            r = await self.notifiers[c.kind].send(message)
            results.append({"channel_id": c.id, "ok": r.ok, "status": r.status,
                            "error": r.error})
        return results


def render_text(subject: str, s: dict[str, Any]) -> str:
    lines = [subject, ""]
    lines += ["Alerts that fired:"] + [
        f"- {f['name'] or f['condition_type']} ({f['key']}): {f['value']} at {f['triggered_at']}"
        for f in s["triggered"]] if s["triggered"] else ["No alert fired."]
    if s["moves_pct"]:
        lines += ["", "Your watchlists:"] + [f"- {t}: {m:+.2f} %"
                                             for t, m in sorted(s["moves_pct"].items())]
    if s["news"]:
        lines += ["", "Top news:"] + [f"- {n['ticker']}: {n['title']} {n['url']}".rstrip()
                                      for n in s["news"]]
    return "\n".join(lines)
