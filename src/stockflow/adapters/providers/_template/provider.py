"""<Vendor> as a MarketDataProvider: HTTP calls only; all parsing is in parse.py."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from stockflow.adapters.providers import values
from stockflow.adapters.providers._template import parse
from stockflow.adapters.providers.http import HttpProvider
from stockflow.core.resilience.errors import ProviderError, ProviderNotFound
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker


class TemplateProvider(HttpProvider):
    """TODO: one line on what the vendor covers and how its key travels."""

    name = parse.NAME
    default_base_url = "https://api.example.com"  # TODO

    def auth_headers(self) -> dict[str, str]:
        key = self.secret()  # TODO: or auth_params() for a query-string key
        return {"X-API-Key": key} if key else {}

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        return None  # TODO: map vendor error codes that say more than the HTTP status

    def check_body(self, body: Any) -> ProviderError | None:
        return None  # TODO: errors the vendor returns with HTTP 200

    def supports(self, ticker: str) -> bool:
        return self._symbol(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        return []

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        sym = self._vendor(ticker)
        body = await self.get_json(f"/quote/{sym}")
        return parse.quote(body, normalise_ticker(ticker), sym)

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        return list(await asyncio.gather(*(self.quote(t) for t in tickers)))

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        interval, sym = Interval(interval), self._vendor(ticker)
        body = await self.get_json(f"/candles/{sym}", {
            "interval": parse.INTERVALS[interval], "from": _ms(start), "to": _ms(end)})
        return values.in_window(parse.bars(body, normalise_ticker(ticker), interval), start, end)

    def _symbol(self, ticker: str) -> str | None:
        return normalise_ticker(ticker) or None  # TODO: symbols.to_vendor(ticker)

    def _vendor(self, ticker: str) -> str:
        sym = self._symbol(ticker)
        if sym is None:
            raise ProviderNotFound(self.name, f"no {self.name} symbol for {ticker!r}")
        return sym


def _ms(t: datetime) -> int:
    return int((t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp() * 1000)
