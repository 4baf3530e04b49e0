"""Watchlist and portfolio use cases. Another user's ids answer 404, never 403: an id that is
not yours must not even be confirmed to exist."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stockflow.core.catalogue import WATCHLIST_UPDATED
from stockflow.core.pagination import decode_cursor, encode_cursor
from stockflow.core.ports import Clock, EventBus
from stockflow.core.problems import Problem, invalid, not_found
from stockflow.core.times import bounded_utc, clamp_utc
from stockflow.market.domain import Interval
from stockflow.market.ports import FxRates, MarketReader
from stockflow.users.currency import Conversion, check_currency, conversion
from stockflow.users.holdings_repository import SqlHoldingsStore
from stockflow.users.performance import Closes, Oversold, Transaction, performance, replay

MAX_BARS = 5000


class HoldingsService:
    def __init__(self, *, store: SqlHoldingsStore, market: MarketReader, fx: FxRates,
                 bus: EventBus, clock: Clock) -> None:
        self.store = store
        self.market = market
        self.fx = fx
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
        """Watchlists port: every watchlist of a user, for the other contexts' scans."""
        return await self.store.watchlists.of_user(user_id)

    async def watched_tickers(self) -> list[str]:
        """Watchlists port: every ticker on any user's watchlist (the pre-market scans)."""
        return await self.store.watched_tickers()

    async def watchlist_page(self, user_id: str, limit: int, cursor: str | None,
                             ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        return await _page(self.store.watchlists, "watchlists", user_id, limit, cursor)

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
    async def create_portfolio(self, user_id: str, name: str, txs: list[dict[str, Any]],
                               base_currency: str = "USD") -> dict[str, Any]:
        now, pid = self.clock.now(), str(uuid.uuid4())
        base = check_currency(self.fx, base_currency)
        transactions = self._transactions(txs)
        _check_sequence(transactions)
        await self.store.portfolios.add(id=pid, user_id=user_id, name=name, created_at=now,
                                       updated_at=now, base_currency=base)
        await self.store.add_transactions(pid, transactions, now)
        return await self.portfolio(user_id, pid)

    async def portfolio_page(self, user_id: str, limit: int, cursor: str | None,
                             ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        return await _page(self.store.portfolios, "portfolios", user_id, limit, cursor)

    async def portfolio(self, user_id: str, portfolio_id: str) -> dict[str, Any]:
        """Positions at average cost in their own currency; realised P&L in the base currency,
        each sale converted at the rate of its day."""
        found = await self._owned(user_id, portfolio_id)
        txs = await self.store.transactions(portfolio_id)
        conv = await self._conversion(found["base_currency"], txs, self.clock.now().date())
        book, base_book = replay(txs), replay(conv.transactions(txs))
        found["positions"] = [
            {"ticker": t, "currency": conv.currency_of[t], "quantity": p.quantity,
             "average_cost": round(p.average_cost, 6), "cost_basis": round(p.cost, 6),
             "cost_basis_base": round(base_book.positions[t].cost, 6)}
            for t, p in sorted(book.held().items())]
        found["realised_pnl"] = round(base_book.realised, 6)
        return found

    async def _conversion(self, base: str, txs: list[Transaction], end: date) -> Conversion:
        currency_of = {t: self.market.instrument(t).currency for t in {x.ticker for x in txs}}
        start = min((t.executed_at.date() for t in txs), default=end)
        return await conversion(self.fx, base, currency_of, start, max(start, end))

    async def _owned(self, user_id: str, portfolio_id: str) -> dict[str, Any]:
        found = await self.store.portfolios.get(user_id, portfolio_id)
        if found is None:
            raise not_found("portfolio", portfolio_id)
        return found

    async def update_portfolio(self, user_id: str, portfolio_id: str, changes: dict[str, Any]
                               ) -> dict[str, Any]:
        """Rename, or change the base currency: figures are derived, so a new base converts
        every past figure at its own day's rate on the next read."""
        values: dict[str, Any] = {"updated_at": self.clock.now()}
        if changes.get("name") is not None:
            values["name"] = changes["name"]
        if changes.get("base_currency") is not None:
            values["base_currency"] = check_currency(self.fx, changes["base_currency"])
        if not await self.store.portfolios.update(user_id, portfolio_id, **values):
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
            at = bounded_utc(t.get("executed_at") or now, "executed_at")
            if at > now:
                raise invalid("executed_at cannot be in the future")
            ticker = by_raw.get(t["ticker"]) or self.market.instrument(t["ticker"]).ticker
            out.append(Transaction(id=str(uuid.uuid4()), ticker=ticker, side=t["side"],
                                   quantity=t["quantity"], price=t["price"],
                                   fee=t.get("fee") or 0.0, executed_at=at))
        return out

    async def performance(self, user_id: str, portfolio_id: str,
                          end: date | None = None) -> dict[str, Any]:
        found = await self._owned(user_id, portfolio_id)
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
        conv = await self._conversion(found["base_currency"], txs, end)
        result = performance(conv.transactions(txs), Closes(conv.closes(closes)), end)
        _local_figures(result, txs, closes, conv, end)
        return {"portfolio_id": portfolio_id, "base_currency": conv.base, **result,
                "fx": conv.describe([s["date"] for s in result["series"]])}

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


def _local_figures(result: dict[str, Any], txs: list[Transaction],
                   closes: dict[str, list[tuple[date, float]]], conv: Conversion,
                   end: date) -> None:
    """Each position's currency, its last price and value in that currency, and the rate that
    turned them into the base currency's figures."""
    for p in result["positions"]:
        # The latest mark, as performance() marks: a day's close after that day's trades.
        marks = [(t.executed_at.date(), 0, t.executed_at.timestamp(), t.price) for t in txs
                 if t.ticker == p["ticker"] and t.executed_at.date() <= end]
        marks += [(d, 1, 0.0, c) for d, c in closes.get(p["ticker"], []) if d <= end]
        local = max(marks)[3]
        p["currency"] = conv.currency_of[p["ticker"]]
        p["last_price_local"] = local
        p["market_value_local"] = round(p["quantity"] * local, 6)
        p["fx_rate"] = round(p["last_price"] / local, 10)


async def _page(rows: Any, kind: str, user_id: str, limit: int, cursor: str | None,
                ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One page of a user's rows and the seeds' pagination meta (has_more, next_cursor)."""
    after = None
    if cursor:
        c = decode_cursor(cursor)
        if c.get("list") != kind or not isinstance(c.get("id"), str):
            raise invalid("cursor belongs to another query")
        try:
            after = (clamp_utc(datetime.fromisoformat(str(c.get("after")))), c["id"])
        except ValueError:
            raise invalid("cursor is not one this API issued") from None
    # One extra row tells whether another page exists without a count query.
    page = await rows.page(user_id, limit + 1, after)
    has_more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor({"list": kind, "after": page[-1]["created_at"],
                                 "id": page[-1]["id"]}) if has_more else None
    return page, {"has_more": has_more, "next_cursor": next_cursor}


def _check_sequence(txs: list[Transaction]) -> None:
    try:
        replay(txs)
    except Oversold as exc:
        raise invalid(str(exc)) from None



