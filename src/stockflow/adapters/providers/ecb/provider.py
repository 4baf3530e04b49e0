"""The ECB's euro reference rates as a MarketDataProvider for currency pairs (EURUSD, USDJPY):
one rate a working day, set around 16:00 CET, so quotes are that day's rate and bars are daily
(open = high = low = close, no volume). Intraday bars it cannot give: ProviderNotFound, and the
fx chain's next member answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx

from stockflow.adapters.providers.ecb import parse
from stockflow.adapters.providers.http import HttpProvider
from stockflow.core.resilience.errors import ProviderNotFound
from stockflow.market.assets import fx_pair
from stockflow.market.domain import Bar, Instrument, Interval, Quote, normalise_ticker

DAILY = "/stats/eurofxref/eurofxref-daily.xml"
HISTORY_90D = "/stats/eurofxref/eurofxref-hist-90d.xml"
HISTORY_ALL = "/stats/eurofxref/eurofxref-hist.xml"
# The reference rates are set at 14:15 CET and published around 16:00 CET: 15:00 UTC is when a
# day's rate is known in winter and summer alike.
PUBLISHED = time(15, 0)


class EcbProvider(HttpProvider):
    name = parse.NAME
    default_base_url = "https://www.ecb.europa.eu"

    def decode(self, resp: httpx.Response, where: str) -> Any:
        return resp.text  # XML, parsed by parse.reference_rates

    def supports(self, ticker: str) -> bool:
        return fx_pair(ticker) is not None

    async def instruments(self) -> list[Instrument]:
        return []

    async def quote(self, ticker: str, at: datetime | None = None) -> Quote:
        base, quote = self._pair(ticker)
        table = parse.reference_rates(await self.get_json(DAILY))
        day, rates = next(reversed(table.items()))
        rate = parse.cross(rates, base, quote)
        return Quote(ticker=normalise_ticker(ticker), time=datetime.combine(day, PUBLISHED, UTC),
                     price=rate, bid=rate, ask=rate, bid_size=0, ask_size=0, volume=0,
                     open=rate, high=rate, low=rate, prev_close=rate, provider=self.name)

    async def quotes(self, tickers: Sequence[str], at: datetime | None = None) -> list[Quote]:
        return [await self.quote(t, at) for t in tickers]

    async def bars(self, ticker: str, interval: Interval, start: datetime,
                   end: datetime) -> list[Bar]:
        base, quote = self._pair(ticker)
        if Interval(interval) is not Interval.D1:
            raise ProviderNotFound(self.name, "the ECB publishes daily reference rates only")
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        recent = datetime.now(UTC) - start <= timedelta(days=85)
        table = parse.reference_rates(await self.get_json(HISTORY_90D if recent else HISTORY_ALL))
        t = normalise_ticker(ticker)
        out = []
        for day, rates in table.items():
            at = datetime.combine(day, time(), UTC)
            if start <= at < end:
                r = parse.cross(rates, base, quote)
                out.append(Bar(t, Interval.D1, at, r, r, r, r, 0, self.name))
        return out

    def _pair(self, ticker: str) -> tuple[str, str]:
        pair = fx_pair(ticker)
        if pair is None:
            raise ProviderNotFound(self.name, f"{ticker!r} is not a currency pair")
        return pair



