"""SEC EDGAR over HTTP: ticker → CIK from SEC's ticker map, submissions and company facts.

SEC asks for a User-Agent naming a contact and at most 10 requests a second; a 429 means the
address is blocked for about ten minutes, so it is raised with that as its retry-after and the
failover chain moves to the next source.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from stockflow.adapters.providers.http import HttpProvider
from stockflow.adapters.providers.sec.facts import NAME
from stockflow.adapters.providers.sec.statements import build_statements
from stockflow.analysis.domain import CompanyProfile, Statement
from stockflow.analysis.normalise import MONTHS
from stockflow.core.resilience.errors import (
    ProviderBadData,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
)
from stockflow.market.assets import is_us_equity
from stockflow.market.domain import normalise_ticker

BLOCK_SECONDS = 600.0


class SecEdgarFundamentals(HttpProvider):
    name = NAME
    default_base_url = "https://data.sec.gov"
    default_tickers_url = "https://www.sec.gov/files/company_tickers.json"

    def __init__(self, user_agent: str, *, tickers_url: str | None = None,
                 max_per_second: float = 10.0, **kwargs: Any) -> None:
        if "@" not in user_agent:
            raise ValueError("SEC requires a User-Agent with a contact e-mail, e.g. "
                             "'StockFlow ops@example.com'")
        super().__init__(None, **kwargs)
        self.user_agent = user_agent
        self.tickers_url = tickers_url or self.default_tickers_url
        self._interval = 1.0 / max_per_second
        self._next_at = 0.0
        self._pace = asyncio.Lock()
        self._ciks: dict[str, str] | None = None

    def auth_headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent}

    def vendor_error(self, status: int, body: Any) -> ProviderError | None:
        if status == 429:
            return ProviderRateLimited(self.name, "SEC blocks this address for about ten "
                                       "minutes after too many requests", status=429,
                                       retry_after=BLOCK_SECONDS)
        return None

    def supports(self, ticker: str) -> bool:
        return is_us_equity(ticker)

    async def _get(self, url: str) -> Any:
        # Spaced requests, not a burst-then-wait bucket: SEC counts per second.
        async with self._pace:
            wait = self._next_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_at = time.monotonic() + self._interval
        return await self.get_json(url)

    async def cik(self, ticker: str) -> str:
        """The 10-digit CIK of a ticker, from SEC's ticker map (fetched once)."""
        if self._ciks is None:
            body = await self._get(self.tickers_url)
            if not isinstance(body, dict):
                raise ProviderBadData(self.name, "ticker map is not a JSON object")
            self._ciks = {str(row["ticker"]).upper(): str(row["cik_str"]).zfill(10)
                          for row in body.values() if isinstance(row, dict)
                          and "ticker" in row and "cik_str" in row}
        sym = normalise_ticker(ticker).replace(".", "-")
        cik = self._ciks.get(sym)
        if cik is None:
            raise ProviderNotFound(self.name, f"no SEC registrant has the ticker {ticker!r}")
        return cik

    async def statements(self, ticker: str) -> list[Statement]:
        cik = await self.cik(ticker)
        body = await self._get(f"/api/xbrl/companyfacts/CIK{cik}.json")
        return build_statements(body, normalise_ticker(ticker))

    async def profile(self, ticker: str) -> CompanyProfile:
        cik = await self.cik(ticker)
        return submissions_profile(await self._get(f"/submissions/CIK{cik}.json"),
                                   normalise_ticker(ticker))


def submissions_profile(body: Any, ticker: str) -> CompanyProfile:
    if not isinstance(body, dict) or "cik" not in body:
        raise ProviderBadData(NAME, "submissions body without a 'cik'")
    tickers = [str(t).upper() for t in body.get("tickers") or []]
    exchanges = body.get("exchanges") or []
    exchange = exchanges[tickers.index(ticker)] if ticker in tickers and len(
        exchanges) > tickers.index(ticker) else (exchanges[0] if exchanges else None)
    fye = str(body.get("fiscalYearEnd") or "")
    month = MONTHS[int(fye[:2]) - 1].capitalize() if fye[:2].isdigit() and 1 <= int(
        fye[:2]) <= 12 else None
    return CompanyProfile(
        ticker=ticker, name=body.get("name"), cik=str(body["cik"]).zfill(10),
        exchange=exchange, industry=body.get("sicDescription") or None,
        description=body.get("description") or None, website=body.get("website") or None,
        fiscal_year_end=month, country=_country(body), source=NAME)


def _country(body: dict[str, Any]) -> str | None:
    # `stateOrCountry` holds a US state for domestic filers, so only the explicit fields count.
    business = (body.get("addresses") or {}).get("business") or {}
    return business.get("countryCode") or business.get("country") or None
