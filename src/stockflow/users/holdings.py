"""Watchlist and portfolio use cases. Another user's ids answer 404, never 403: an id that is
not yours must not even be confirmed to exist."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stockflow.core.catalogue import WATCHLIST_UPDATED
from stockflow.core.ports import Clock, EventBus
from stockflow.core.problems import Problem, invalid, not_found
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketReader
from stockflow.users.holdings_repository import SqlHoldingsStore
from stockflow.users.performance import Closes, Oversold, Transaction, performance, replay

MAX_BARS = 5000


class HoldingsService:
    def __init__(self, *, store: SqlHoldingsStore, market: MarketReader, bus: EventBus,
                 clock: Clock) -> None:
        self.store = store
        self.market = market
        self.bus = bus
        self.clock = clock

    def _tickers(self, raw: list[str]) -> list[str]:
        tickers, unknown = [], []
        for t in raw:
            try:
                tickers.append(self.market.instrument(t).ticker)
            except Problem:
                unknown.append(t)
        if unknown:
            raise invalid(f"unknown tickers: {', '.join(unknown)}")
        return list(dict.fromkeys(tickers))

    # -- watchlists -----------------------------------------------------------------------
    async def create_watchlist(self, user_id: str, name: str, tickers: list[str]
                               ) -> dict[str, Any]:
        now, wid = self.clock.now(), str(uuid.uuid4())
        await self.store.watchlists.add(id=wid, user_id=user_id, name=name,
                                       tickers=self._tickers(tickers), created_at=now,
                                       updated_at=now)
        return await self._announce(user_id, wid, "created")

    async def watchlists(self, user_id: str) -> list[dict[str, Any]]:
        return await self.store.watchlists.of_user(user_id)

    async def watchlist(self, user_id: str, watchlist_id: str) -> dict[str, Any]:
        found = await self.store.watchlists.get(user_id, watchlist_id)
        if found is None:
            raise not_found("watchlist", watchlist_id)
        return found

    async def update_watchlist(self, user_id: str, watchlist_id: str, changes: dict[str, Any]
                               ) -> dict[str, Any]:
        values: dict[str, Any] = {"updated_at": self.clock.now()}
        if changes.get("name") is not None:
            values["name"] = changes["name"]
        if changes.get("tickers") is not None:
            values["tickers"] = self._tickers(changes["tickers"])
        if not await self.store.watchlists.update(user_id, watchlist_id, **values):
            raise not_found("watchlist", watchlist_id)
        return await self._announce(user_id, watchlist_id, "updated")

    async def delete_watchlist(self, user_id: str, watchlist_id: str) -> None:
        if not await self.store.watchlists.delete(user_id, watchlist_id):
            raise not_found("watchlist", watchlist_id)
        await self._publish(user_id, {"id": watchlist_id, "action": "deleted", "tickers": []})

    async def _announce(self, user_id: str, watchlist_id: str, action: str) -> dict[str, Any]:
        found = await self.watchlist(user_id, watchlist_id)
        await self._publish(user_id, {"id": watchlist_id, "action": action,
                                      "tickers": found["tickers"]})
        return found

    async def _publish(self, user_id: str, data: dict[str, Any]) -> None:
        await self.bus.publish(WATCHLIST_UPDATED.name, WATCHLIST_UPDATED.event(
            {"user_id": user_id, **data}, key=user_id))

    # -- portfolios -----------------------------------------------------------------------
    async def create_portfolio(self, user_id: str, name: str, txs: list[dict[str, Any]]
                               ) -> dict[str, Any]:
        now, pid = self.clock.now(), str(uuid.uuid4())
        transactions = self._transactions(txs)
        _check_sequence(transactions)
        await self.store.portfolios.add(id=pid, user_id=user_id, name=name, created_at=now,
                                       updated_at=now)
        await self.store.add_transactions(pid, transactions, now)
        return await self.portfolio(user_id, pid)

    async def portfolios(self, user_id: str) -> list[dict[str, Any]]:
        return await self.store.portfolios.of_user(user_id)

    async def portfolio(self, user_id: str, portfolio_id: str) -> dict[str, Any]:
        found = await self._owned(user_id, portfolio_id)
        book = replay(await self.store.transactions(portfolio_id))
        found["positions"] = [
            {"ticker": t, "quantity": p.quantity, "average_cost": round(p.average_cost, 6),
             "cost_basis": round(p.cost, 6)} for t, p in sorted(book.held().items())]
        found["realised_pnl"] = round(book.realised, 6)
        return found

    async def _owned(self, user_id: str, portfolio_id: str) -> dict[str, Any]:
        found = await self.store.portfolios.get(user_id, portfolio_id)
        if found is None:
            raise not_found("portfolio", portfolio_id)
        return found

    async def rename_portfolio(self, user_id: str, portfolio_id: str, name: str
                               ) -> dict[str, Any]:
        if not await self.store.portfolios.update(user_id, portfolio_id, name=name,
                                                 updated_at=self.clock.now()):
            raise not_found("portfolio", portfolio_id)
        return await self.portfolio(user_id, portfolio_id)

    async def delete_portfolio(self, user_id: str, portfolio_id: str) -> None:
        if not await self.store.portfolios.delete(user_id, portfolio_id):
            raise not_found("portfolio", portfolio_id)

    async def transactions(self, user_id: str, portfolio_id: str) -> list[dict[str, Any]]:
        await self._owned(user_id, portfolio_id)
        return [t.to_wire() for t in await self.store.transactions(portfolio_id)]

    async def add_transactions(self, user_id: str, portfolio_id: str,
                               txs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        await self._owned(user_id, portfolio_id)
        new = self._transactions(txs)
        _check_sequence([*await self.store.transactions(portfolio_id), *new])
        await self.store.add_transactions(portfolio_id, new, self.clock.now())
        return [t.to_wire() for t in new]

    async def delete_transaction(self, user_id: str, portfolio_id: str, tx_id: str) -> None:
        await self._owned(user_id, portfolio_id)
        rest = [t for t in await self.store.transactions(portfolio_id) if t.id != tx_id]
        _check_sequence(rest)  # removing a buy must not leave a later sale uncovered
        if not await self.store.delete_transaction(portfolio_id, tx_id):
            raise not_found("transaction", tx_id)

    def _transactions(self, txs: list[dict[str, Any]]) -> list[Transaction]:
        tickers = self._tickers([t["ticker"] for t in txs]) if txs else []
        by_raw = dict(zip([t["ticker"] for t in txs], tickers, strict=False))
        now = self.clock.now()
        out = []
        for t in txs:
            at = _aware(t.get("executed_at") or now)
            if at > now:
                raise invalid("executed_at cannot be in the future")
            ticker = by_raw.get(t["ticker"]) or self.market.instrument(t["ticker"]).ticker
            out.append(Transaction(id=str(uuid.uuid4()), ticker=ticker, side=t["side"],
                                   quantity=t["quantity"], price=t["price"],
                                   fee=t.get("fee") or 0.0, executed_at=at))
        return out

    async def performance(self, user_id: str, portfolio_id: str,
                          end: date | None = None) -> dict[str, Any]:
        await self._owned(user_id, portfolio_id)
        txs = await self.store.transactions(portfolio_id)
        today = self.clock.now().date()
        if end is not None and end > today:
            raise invalid(f"end {end.isoformat()} is after today ({today.isoformat()})")
        end = end or today
        closes: dict[str, list[tuple[date, float]]] = {}
        if txs:
            start = datetime.combine(min(t.executed_at for t in txs).date(), time(), UTC)
            stop = datetime.combine(end + timedelta(days=1), time(), UTC)
            for ticker in sorted({t.ticker for t in txs}):
                closes[ticker] = await self._closes(ticker, start, stop)
        return {"portfolio_id": portfolio_id, **performance(txs, Closes(closes), end)}

    async def _closes(self, ticker: str, start: datetime, stop: datetime,
                      ) -> list[tuple[date, float]]:
        out: list[tuple[date, float]] = []
        after = None
        while True:
            bars = await self.market.bars(ticker, Interval.D1, start, stop, MAX_BARS,
                                          after=after)
            out.extend((b.time.date(), b.close) for b in bars)
            if len(bars) < MAX_BARS:
                return out
            after = bars[-1].time


def _check_sequence(txs: list[Transaction]) -> None:
    try:
        replay(txs)
    except Oversold as exc:
        raise invalid(str(exc)) from None


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


