"""The orchestrator's brief jobs (seed 000's CronJob → Market Intel): before the US open
(13:00 UTC, an hour and a half before 09:30 New York) and the Indian open (03:15 UTC, 09:15
Mumbai is 03:45 UTC), a brief per watchlist of that market's tickers, delivered through the
alerts context's channels (its `Digests` port) and recorded, one row per user, watchlist,
market and day, so a rerun the same day sends nothing twice."""

from __future__ import annotations

from typing import Any

from stockflow.core.jobs import JobSkipped, JobSpec
from stockflow.core.ports import Clock
from stockflow.intel.ports import DeliveryLog
from stockflow.intel.service import IntelService

# Market → (exchanges whose tickers its brief covers, cron of the job).
MARKETS = {"us": (("XNYS", "XNAS"), "0 13 * * 1-5"), "in": (("XNSE",), "15 3 * * 1-5")}


class WatchlistBriefs:
    def __init__(self, intel: IntelService, digests: Any, watchlists: Any, log: DeliveryLog,
                 clock: Clock, max_tickers: int) -> None:
        self.intel, self.digests, self.watchlists = intel, digests, watchlists
        self.log, self.clock, self.max_tickers = log, clock, max_tickers

    async def run(self, market: str) -> dict[str, Any]:
        if self.digests is None or self.watchlists is None:
            raise JobSkipped("needs the alerts and users contexts in this process")
        exchanges = MARKETS[market][0]
        now = self.clock.now()
        counts = {"sent": 0, "already": 0, "no_ticker": 0, "no_channel": 0, "briefs": 0}
        for user_id in await self.digests.recipients():
            for wl in await self.watchlists.watchlists(user_id):
                counts[await self._one(user_id, wl, market, exchanges, now, counts)] += 1
        return counts

    def _tickers(self, wl: dict[str, Any], exchanges: tuple[str, ...]) -> list[str]:
        market = self.intel.assembler.market
        known = {i.ticker: i for i in market.universe}
        # A delisted ticker in an old watchlist is left out: it has no brief.
        return [t for t in wl.get("tickers", [])
                if t in known and known[t].exchange in exchanges][:self.max_tickers]

    async def _one(self, user_id: str, wl: dict[str, Any], market: str,
                   exchanges: tuple[str, ...], now: Any, counts: dict[str, int]) -> str:
        delivery_id = f"{user_id}:{wl['id']}:{market}:{now.date().isoformat()}"
        if await self.log.sent(delivery_id):
            return "already"
        tickers = self._tickers(wl, exchanges)
        if not tickers:
            return "no_ticker"
        briefs = []
        for t in tickers:
            brief, _, _ = await self.intel.brief(t)
            briefs.append(brief)
            counts["briefs"] += 1
        subject = f"StockFlow brief: {wl.get('name') or 'watchlist'} before the " \
                  f"{market.upper()} open"
        text = "\n\n".join([subject] + [f"{b.subject}: {b.text}" for b in briefs])
        results = await self.digests.deliver(
            user_id, subject, text, now, "brief", watchlist_id=wl["id"], market=market,
            reports=[{"ticker": b.subject, "report_id": b.report_id,
                      "generated_by": b.generated_by} for b in briefs])
        if not results:
            return "no_channel"
        await self.log.record({"id": delivery_id, "user_id": user_id, "watchlist_id": wl["id"],
                               "market": market, "sent_at": now,
                               "reports": [b.report_id for b in briefs],
                               "deliveries": results})
        return "sent"


def jobs(briefs: WatchlistBriefs) -> list[JobSpec]:
    return [JobSpec(f"intel-watchlist-briefs-{m}", cron,
                    f"a brief per watchlist before the {m.upper()} open, through the channels",
                    lambda m=m: briefs.run(m))
            for m, (_, cron) in MARKETS.items()]
