"""Alpha Vantage as a MarketDataProvider: GLOBAL_QUOTE quotes and TIME_SERIES_* bars for US
equities, CURRENCY_EXCHANGE_RATE quotes for currency pairs (EURUSD)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from stockflow.adapters.providers import values
from stockflow.adapters.providers.alphavantage import parse
from stockflow.adapters.providers.http import HttpProvider
from stockflow.core.resilience.errors import ProviderError, ProviderNotFound
from stockflow.market.assets import fx_pair, is_us_equity
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker

# "compact" is the latest 100 points; "full" is premium for daily series.
_COMPACT_DAYS = 140


class AlphaVantageProvider(HttpProvider):
    """Every call is GET /query?function=…&apikey=…; errors arrive as HTTP 200 bodies."""

    name = parse.NAME
    default_base_url = "https://www.alphavantage.co"

    def auth_params(self) -> dict[str, str]:
        key = self.secret()
        return {"apikey": key} if key else {}

    def check_body(self, body: Any) -> ProviderError | None:
        return parse.body_error(body)

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        err = parse.body_error(body)
        if err is not None:
            err.status = status
        return err

    def supports(self, ticker: str) -> bool:
        return is_us_equity(ticker) or fx_pair(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        return []  # LISTING_STATUS is CSV only

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        pair = fx_pair(ticker)
        if pair is not None:
            body = await self.get_json("/query", {"function": "CURRENCY_EXCHANGE_RATE",
                                                  "from_currency": pair[0],
                                                  "to_currency": pair[1]})
            return parse.exchange_rate(body, normalise_ticker(ticker), *pair)
        sym = self._vendor(ticker)
        body = await self.get_json("/query", {"function": "GLOBAL_QUOTE", "symbol": sym})
        return parse.global_quote(body, normalise_ticker(ticker), sym)

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        # Sequential on purpose: the free tier allows a handful of calls a minute.
        return [await self.quote(t) for t in tickers]

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        interval, sym = Interval(interval), self._vendor(ticker)
        start_utc = start if start.tzinfo else start.replace(tzinfo=UTC)
        old = datetime.now(UTC) - start_utc > timedelta(days=_COMPACT_DAYS)
        params: dict[str, Any] = {"symbol": sym, "outputsize": "full" if old else "compact"}
        if interval is Interval.D1:
            params["function"] = "TIME_SERIES_DAILY"
        else:
            params |= {"function": "TIME_SERIES_INTRADAY", "interval": parse.INTRADAY[interval],
                       "outputsize": "full"}
        body = await self.get_json("/query", params)
        bars = parse.time_series_bars(body, normalise_ticker(ticker), sym, interval)
        return values.in_window(bars, start, end)

    def _vendor(self, ticker: str) -> str:
        if not is_us_equity(ticker):
            # FX_DAILY's full history is premium; a pair's daily bars come from the ECB.
            raise ProviderNotFound(self.name, f"no Alpha Vantage series for {ticker!r}")
        return normalise_ticker(ticker)
