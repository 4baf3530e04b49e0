"""Yahoo Finance (unofficial, keyless) as a MarketDataProvider: v8 chart bars and quotes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from stockflow.adapters.providers import values
from stockflow.adapters.providers.http import HttpProvider
from stockflow.adapters.providers.yahoo import parse, symbols
from stockflow.core.resilience.errors import ProviderError, ProviderNotFound
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker


class YahooProvider(HttpProvider):
    """Bars and quotes from /v8/finance/chart (no crumb needed). `quotes_v7` reads
    /v7/finance/quote, which today needs a cookie + crumb that this adapter does not obtain."""

    name = parse.NAME
    default_base_url = "https://query2.finance.yahoo.com"

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        err = parse.envelope_error(body)
        if err is not None:
            err.status = status
        return err

    def supports(self, ticker: str) -> bool:
        return symbols.to_vendor(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        return []

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        """Latest quote from today's 1d chart meta (`at` is ignored)."""
        sym = self._vendor(ticker)
        body = await self.get_json(f"/v8/finance/chart/{sym}", {"range": "1d", "interval": "1d"})
        return parse.chart_quote(body, normalise_ticker(ticker), sym)

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        return list(await asyncio.gather(*(self.quote(t) for t in tickers)))

    async def quotes_v7(self, tickers: Sequence[str]) -> list[Quote]:
        """Quotes with a book (bid/ask/sizes) for many tickers in one call."""
        wanted = {self._vendor(t): normalise_ticker(t) for t in tickers}
        body = await self.get_json("/v7/finance/quote", {"symbols": ",".join(wanted)})
        return parse.v7_quotes(body, wanted)

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        interval, sym = Interval(interval), self._vendor(ticker)
        body = await self.get_json(f"/v8/finance/chart/{sym}", {
            "period1": _s(start), "period2": _s(end), "interval": parse.INTERVALS[interval],
            "includePrePost": "false", "events": "div|split",
        })
        bars = parse.chart_bars(body, normalise_ticker(ticker), sym, interval)
        return values.in_window(bars, start, end)

    def _vendor(self, ticker: str) -> str:
        sym = symbols.to_vendor(ticker)
        if sym is None:
            raise ProviderNotFound(self.name, f"no Yahoo symbol for {ticker!r}")
        return sym


def _s(t: datetime) -> int:
    return int((t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp())
