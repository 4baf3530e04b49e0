"""Polygon.io (Massive) REST as a MarketDataProvider: US equities and crypto aggregates."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from stockflow.adapters.providers import values
from stockflow.adapters.providers.http import HttpProvider
from stockflow.adapters.providers.polygon import parse, symbols
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
)
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker


class PolygonProvider(HttpProvider):
    """Quotes from last trade + last NBBO + prev close, bars from v2 aggregates.

    The key goes in an `Authorization: Bearer` header (never in the URL) unless
    `key_in_query=True`, which sends it as `apiKey=` the way Polygon's docs show.
    """

    name = parse.NAME
    default_base_url = "https://api.polygon.io"

    def __init__(self, *args: Any, key_in_query: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_in_query = key_in_query

    def auth_headers(self) -> dict[str, str]:
        key = self.secret()
        return {"Authorization": f"Bearer {key}"} if key and not self.key_in_query else {}

    def auth_params(self) -> dict[str, str]:
        key = self.secret()
        return {"apiKey": key} if key and self.key_in_query else {}

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        # Only the statuses that say more than the HTTP code; 429/5xx map by code in the base.
        err = self.check_body(body, status)
        return err if isinstance(err, (ProviderAuthError, ProviderNotFound)) else None

    def check_body(self, body: Any, status: int | None = None) -> ProviderError | None:
        if not isinstance(body, dict):
            return None
        state = body.get("status")
        text = str(body.get("message") or body.get("error") or state)
        if state == "NOT_AUTHORIZED" or "API Key" in text:
            return ProviderAuthError(self.name, text, status=status)
        if state == "NOT_FOUND":
            return ProviderNotFound(self.name, text, status=status)
        if state == "ERROR":
            return ProviderError(self.name, text, status=status)
        return None

    def supports(self, ticker: str) -> bool:
        return symbols.to_vendor(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        return []  # /v3/reference/tickers is paginated reference data; not needed for quotes

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        """Latest trade, NBBO and prev close, fetched concurrently (`at` is ignored)."""
        t, sym = normalise_ticker(ticker), self._vendor(ticker)
        trade_b, nbbo_b, prev_b = await asyncio.gather(
            self.get_json(f"/v2/last/trade/{sym}"), self.get_json(f"/v2/last/nbbo/{sym}"),
            self.get_json(f"/v2/aggs/ticker/{sym}/prev", {"adjusted": "true"}))
        return parse.make_quote(t, parse.last_trade(trade_b, t), parse.last_nbbo(nbbo_b, t),
                                parse.prev_close(prev_b, t))

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        return list(await asyncio.gather(*(self.quote(t) for t in tickers)))

    async def prev_close(self, ticker: str) -> float:
        sym = self._vendor(ticker)
        body = await self.get_json(f"/v2/aggs/ticker/{sym}/prev", {"adjusted": "true"})
        return parse.prev_close(body, normalise_ticker(ticker))

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        """One aggs page (limit 50000, adjusted, ascending); `next_url` is not followed."""
        interval, sym = Interval(interval), self._vendor(ticker)
        mult, span = parse.SPANS[interval]
        body = await self.get_json(
            f"/v2/aggs/ticker/{sym}/range/{mult}/{span}/{_ms(start)}/{_ms(end)}",
            {"adjusted": "true", "sort": "asc", "limit": 50000})
        return values.in_window(parse.aggs_bars(body, normalise_ticker(ticker), interval),
                                start, end)

    def _vendor(self, ticker: str) -> str:
        sym = symbols.to_vendor(ticker)
        if sym is None:
            raise ProviderNotFound(self.name, f"no Polygon symbol for {ticker!r}")
        return sym


def _ms(t: datetime) -> int:
    return int((t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp() * 1000)
