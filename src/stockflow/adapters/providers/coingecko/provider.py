"""CoinGecko (Public/Demo API v3) as a MarketDataProvider: crypto quotes, rates and bars."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from stockflow.adapters.providers import values
from stockflow.adapters.providers.coingecko import parse, symbols
from stockflow.adapters.providers.http import HttpProvider
from stockflow.core.resilience.errors import ProviderError, ProviderNotFound, ProviderRateLimited
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker
from stockflow.market.ports import BARS, QUOTES, RATES

_BAR_INTERVALS = (Interval.H1, Interval.D1)


class CoinGeckoProvider(HttpProvider):
    """Quotes from /simple/price, bars from /coins/{id}/market_chart, the universe from
    /coins/markets. A demo key, if given, travels as the `x-cg-demo-api-key` header."""

    name = parse.NAME
    capabilities = frozenset({QUOTES, BARS, RATES})
    key_header = "x-cg-demo-api-key"
    default_base_url = "https://api.coingecko.com/api/v3"

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        # The rate-limit body {"status": {"error_code": 429, …}} can come with other statuses.
        code = (body.get("status") or {}).get("error_code") if isinstance(body, dict) else None
        if code == 429 and status != 429:
            return ProviderRateLimited(self.name, f"HTTP {status}: rate limited", status=status)
        return None

    def supports(self, ticker: str) -> bool:
        return symbols.to_vendor(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        body = await self.get_json("/coins/markets", {"vs_currency": "usd", "per_page": 250})
        return parse.markets_instruments(body, "usd")

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        return (await self.quotes([ticker], at))[0]

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        """Latest quotes (`at` is ignored: the vendor only answers "now"); one request for all."""
        pairs = [(normalise_ticker(t), self._vendor(t)) for t in tickers]
        if not pairs:
            return []
        body = await self.get_json("/simple/price", {
            "ids": ",".join(sorted({c for _, (c, _) in pairs})),
            "vs_currencies": ",".join(sorted({vs for _, (_, vs) in pairs})),
            "include_24hr_vol": "true", "include_24hr_change": "true",
            "include_last_updated_at": "true",
        })
        now = self.now()
        return [parse.simple_price_quote(body, t, c, vs, now) for t, (c, vs) in pairs]

    async def rates(self, ids: Sequence[str], vs: Sequence[str]) -> dict[str, dict[str, float]]:
        """{id: {vs: price, "<vs>_24h_change": pct, …}}: the body of GET /v1/crypto/rates."""
        ids_, vs_ = [i.lower() for i in ids], [c.lower() for c in vs]
        body = await self.get_json("/simple/price", {
            "ids": ",".join(ids_), "vs_currencies": ",".join(vs_),
            "include_24hr_change": "true", "include_last_updated_at": "true",
        })
        return parse.rates(body, ids_, vs_)

    async def markets(self, vs: str = "usd") -> list[Quote]:
        """Quotes for every mapped coin on one /coins/markets page (24 h high/low included)."""
        body = await self.get_json("/coins/markets", {"vs_currency": vs, "per_page": 250})
        return parse.markets_quotes(body, vs.lower())

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        """Hourly or daily bars built from market_chart samples (see parse's docstring)."""
        interval = Interval(interval)
        if interval not in _BAR_INTERVALS:
            raise ProviderError(self.name, f"interval {interval} not offered (only 1h, 1d)")
        coin, vs = self._vendor(ticker)
        start_utc = start if start.tzinfo else start.replace(tzinfo=UTC)
        # market_chart counts back from now; >90 days gives daily points, 2–90 hourly.
        days = max(1, math.ceil((self.now() - start_utc).total_seconds() / 86400))
        if interval is Interval.H1:
            days = max(days, 2)
        params: dict[str, Any] = {"vs_currency": vs, "days": days}
        if interval is Interval.D1:
            params["interval"] = "daily"
        body = await self.get_json(f"/coins/{coin}/market_chart", params)
        bars = parse.market_chart_bars(body, normalise_ticker(ticker), interval)
        return values.in_window(bars, start, end)

    def _vendor(self, ticker: str) -> tuple[str, str]:
        pair = symbols.to_vendor(ticker)
        if pair is None:
            raise ProviderNotFound(self.name, f"no CoinGecko id for {ticker!r}")
        return pair
