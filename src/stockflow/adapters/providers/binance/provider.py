"""Binance spot REST as a MarketDataProvider: crypto quotes and klines (public endpoints)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from stockflow.adapters.providers import values
from stockflow.adapters.providers.binance import parse, symbols
from stockflow.adapters.providers.http import HttpProvider, parse_retry_after
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
)
from stockflow.market.assets import is_crypto_pair
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker
from stockflow.market.ports import BARS, QUOTES, STREAM

# https://developers.binance.com/docs/binance-spot-api-docs/errors
_NOT_FOUND = {-1121}
_RATE_LIMITED = {-1003, -1015}
_AUTH = {-1002, -1022, -2014, -2015}


class BinanceProvider(HttpProvider):
    """Market-data endpoints need no key; one, if set, travels as `X-MBX-APIKEY`."""

    name = parse.NAME
    key_header = "X-MBX-APIKEY"
    default_base_url = "https://api.binance.com"
    capabilities = frozenset({QUOTES, BARS, STREAM})

    def stream_covers(self, ticker: str) -> bool:
        return is_crypto_pair(ticker)

    def stream_feed(self, tickers: Sequence[str], stream_url: str | None = None) -> Any:
        from stockflow.adapters.providers.binance.stream import BinanceTradeFeed

        return BinanceTradeFeed(tickers, base_url=stream_url)

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        if status == 418:  # IP auto-banned after ignoring 429s
            return ProviderRateLimited(self.name, "HTTP 418: IP banned", status=status)
        if not isinstance(body, dict) or "code" not in body:
            return None
        code, text = body.get("code"), f"{body.get('code')} {body.get('msg', '')}".strip()
        if code in _NOT_FOUND:
            return ProviderNotFound(self.name, text, status=status)
        if code in _RATE_LIMITED:
            return ProviderRateLimited(self.name, text, status=status)
        if code in _AUTH:
            return ProviderAuthError(self.name, text, status=status)
        return None

    def error_for(self, resp: httpx.Response, body: Any, where: str) -> ProviderError:
        # -1003 bodies come with a Retry-After the vendor hook cannot see.
        err = super().error_for(resp, body, where)
        if isinstance(err, ProviderRateLimited) and err.retry_after is None:
            err.retry_after = parse_retry_after(resp.headers.get("retry-after"))
        return err

    def supports(self, ticker: str) -> bool:
        return symbols.to_vendor(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        return []  # exchangeInfo lists ~2,000 pairs with no names or caps; not a universe

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        """Last price and top of book from ticker/24hr (`at` is ignored)."""
        sym = self._vendor(ticker)
        body = await self.get_json("/api/v3/ticker/24hr", {"symbol": sym})
        return parse.ticker_24hr(body, normalise_ticker(ticker), sym)

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        """One ticker/24hr call for all: `symbols=["A","B"]`, answered as a list."""
        if not tickers:
            return []
        pairs = [(normalise_ticker(t), self._vendor(t)) for t in tickers]
        syms = sorted({s for _, s in pairs})
        body = await self.get_json("/api/v3/ticker/24hr",
                                   {"symbols": json.dumps(syms, separators=(",", ":"))})
        if not isinstance(body, list):
            raise ProviderBadData(self.name, "expected a list from ticker/24hr?symbols=")
        by_symbol = {r.get("symbol"): r for r in body if isinstance(r, dict)}
        return [parse.ticker_24hr(by_symbol.get(s), t, s) for t, s in pairs]

    async def last_price(self, ticker: str) -> Quote:
        """The lightest call: ticker/price (a price and nothing else)."""
        sym = self._vendor(ticker)
        body = await self.get_json("/api/v3/ticker/price", {"symbol": sym})
        return parse.ticker_price(body, normalise_ticker(ticker), sym, self.now())

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        """One klines page (limit 1000); longer windows need more calls, not made here."""
        interval, sym = Interval(interval), self._vendor(ticker)
        body = await self.get_json("/api/v3/klines", {
            "symbol": sym, "interval": parse.INTERVALS[interval], "startTime": _ms(start),
            "endTime": _ms(end) - 1, "limit": 1000})
        return values.in_window(parse.klines(body, normalise_ticker(ticker), interval),
                                start, end)

    def _vendor(self, ticker: str) -> str:
        sym = symbols.to_vendor(ticker)
        if sym is None:
            raise ProviderNotFound(self.name, f"no Binance symbol for {ticker!r}")
        return sym


def _ms(t: datetime) -> int:
    return int((t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp() * 1000)
