"""DhanHQ v2 market quote REST as a MarketDataProvider: NSE quotes (POST /v2/marketfeed/*)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from stockflow.adapters.providers.dhan import parse, symbols
from stockflow.adapters.providers.http import HttpProvider
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)
from stockflow.market.assets import nse_symbol
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker
from stockflow.market.ports import BARS, QUOTES, STREAM

# Dhan's documented error codes (https://dhanhq.co/docs/v2/annexure/): DH-901 invalid
# authentication, 902 no data subscription, 904 rate limit, 905/907 bad input or no data,
# 908/909 server/network error.
_CODES: dict[str, type[ProviderError]] = {
    "DH-901": ProviderAuthError, "DH-902": ProviderAuthError, "DH-903": ProviderAuthError,
    "DH-904": ProviderRateLimited, "DH-905": ProviderError, "DH-907": ProviderNotFound,
    "DH-908": ProviderUnavailable, "DH-909": ProviderUnavailable,
}


class DhanProvider(HttpProvider):
    """The access token (the secret) travels as `access-token`, the client id as `client-id`.

    `quote`/`quotes` use /marketfeed/quote (depth, volume, OHLC); `ltp` and `ohlc` are the
    lighter endpoints. Bars (historical charts) are not implemented.
    """

    name = parse.NAME
    capabilities = frozenset({QUOTES, BARS, STREAM})
    default_base_url = "https://api.dhan.co/v2"

    def __init__(self, api_key: Any = None, *, client_id: str = "", **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self.client_id = client_id

    @classmethod
    def from_settings(cls, settings: Any) -> DhanProvider:
        p = super().from_settings(settings)
        p.client_id = str(getattr(settings, "client_id", "") or "")
        return p  # type: ignore[return-value]

    def stream_covers(self, ticker: str) -> bool:
        return nse_symbol(ticker) is not None

    def stream_feed(self, tickers: Sequence[str], stream_url: str | None = None) -> Any:
        from stockflow.adapters.providers.dhan.stream import DhanLiveFeed

        assert self.api_key is not None  # enabled_vendors requires Dhan's key
        return DhanLiveFeed(tickers, token=self.api_key, client_id=self.client_id,
                            base_url=stream_url)

    def auth_headers(self) -> dict[str, str]:
        key = self.secret()
        headers = {"access-token": key} if key else {}
        if self.client_id:
            headers["client-id"] = self.client_id
        return headers

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        if not isinstance(body, dict) or "errorCode" not in body:
            return None
        code = str(body.get("errorCode"))
        text = f"{code} {body.get('errorType', '')}: {body.get('errorMessage', '')}"
        cls = _CODES.get(code)
        if cls is None:
            return None
        return cls(self.name, text, status=status)

    def supports(self, ticker: str) -> bool:
        return symbols.to_vendor(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        return []  # the scrip master is a large CSV; the built-in map covers the universe

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        return (await self.quotes([ticker], at))[0]

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        return await self._fetch("quote", tickers)

    async def ltp(self, tickers: Sequence[str]) -> list[Quote]:
        return await self._fetch("ltp", tickers)

    async def ohlc(self, tickers: Sequence[str]) -> list[Quote]:
        return await self._fetch("ohlc", tickers)

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        raise ProviderError(self.name, "bars are not implemented for Dhan")

    async def _fetch(self, kind: str, tickers: Sequence[str]) -> list[Quote]:
        if not tickers:
            return []
        pairs = [(normalise_ticker(t), self._vendor(t)) for t in tickers]
        request: dict[str, list[int]] = {}
        for _, (seg, sid) in pairs:
            if sid not in request.setdefault(seg, []):
                request[seg].append(sid)
        body = await self.post_json(f"/marketfeed/{kind}", request)
        now = self.now()
        return [parse.quote(body, t, seg, sid, now) for t, (seg, sid) in pairs]

    def _vendor(self, ticker: str) -> tuple[str, int]:
        pair = symbols.to_vendor(ticker)
        if pair is None:
            raise ProviderNotFound(self.name, f"no Dhan security id for {ticker!r}")
        return pair
