"""Valuation use case: DCF with CAPM beta from stored returns, DDM for payers, peer multiples.

Every assumption is in the answer with its source and can be overridden by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from stockflow.analysis.accounts import StatementType
from stockflow.analysis.config import AnalysisSettings
from stockflow.analysis.domain import PeriodType, Version
from stockflow.analysis.errors import ImpossibleInput
from stockflow.analysis.periods import year_before
from stockflow.analysis.ratios.compute import compute
from stockflow.analysis.service import AnalysisService
from stockflow.analysis.valuation import capm, ddm
from stockflow.analysis.valuation.assumptions import ValuationDefaults, from_statements, override
from stockflow.analysis.valuation.dcf import DcfResult, dcf
from stockflow.analysis.valuation.multiples import MULTIPLES, PeerStat, compare
from stockflow.market.domain import AssetClass, Interval

DDM_KEYS = ("dividend_growth", "dividend_years")
_BASE = ("eps_diluted", "revenue_per_share", "book_value_per_share", "net_debt")


@dataclass(frozen=True, slots=True)
class ValuationReport:
    ticker: str
    price: float
    dcf: DcfResult
    ddm: dict
    multiples: list[PeerStat]
    peers: list[str]


class ValuationService:
    def __init__(self, analysis: AnalysisService, settings: AnalysisSettings) -> None:
        self.analysis, self.settings = analysis, settings
        self.defaults = ValuationDefaults(
            risk_free=settings.risk_free, equity_risk_premium=settings.equity_risk_premium,
            terminal_growth=settings.terminal_growth, years=settings.dcf_years,
            tax_rate=settings.default_tax_rate)

    async def _closes(self, ticker: str) -> dict:
        now = self.analysis.clock.now()
        bars = await self.analysis.market.bars(
            ticker, Interval.D1, now - timedelta(days=int(self.settings.beta_days * 1.5)), now,
            self.settings.beta_days + 1)
        return {b.time.date(): b.close for b in bars}

    async def beta(self, ticker: str, country: str) -> tuple[float, str]:
        proxy = self.settings.market_proxy.get(country)
        if proxy is None or proxy == ticker:
            return 1.0, f"default 1.0: no market proxy configured for {country}"
        mine, market = await self._closes(ticker), await self._closes(proxy)
        days = sorted(set(mine) & set(market))
        if len(days) <= capm.MIN_OBSERVATIONS:
            return 1.0, f"default 1.0: only {len(days)} common daily closes with {proxy}"
        value = capm.beta(capm.returns([mine[d] for d in days]),
                          capm.returns([market[d] for d in days]))
        return value, f"daily returns vs {proxy}, {days[0]}..{days[-1]} ({len(days) - 1} days)"

    async def valuation(self, ticker: str, overrides: Mapping[str, float] | None = None,
                        version: Version = Version.RESTATED) -> ValuationReport:
        values = dict(overrides or {})
        inst = await self.analysis.instrument(ticker)
        series = await self.analysis.periods(inst.ticker, PeriodType.TTM, version, 5) or \
            await self.analysis.periods(inst.ticker, PeriodType.ANNUAL, version, 2)
        if not series:
            raise ImpossibleInput("statements", f"{inst.ticker} has no statements to value")
        market = await self.analysis.price(inst.ticker)
        if market is None:
            raise ImpossibleInput("price", f"no stored daily close for {inst.ticker}; "
                                  "load its bars or pass market_cap")
        beta_value, beta_src = await self.beta(inst.ticker, inst.metadata.get("country", "US"))
        current = series[-1]
        a = from_statements(current, year_before(current, series), market.price, beta_value,
                            beta_src, self.defaults)
        a = override(a, {k: v for k, v in values.items() if k not in DDM_KEYS})
        result = dcf(a)
        peers, stats = await self._multiples(inst.ticker, inst.sector, current, market, version)
        return ValuationReport(inst.ticker, market.price, result,
                               self._ddm(current, result, values), stats, peers)

    def _ddm(self, current, result: DcfResult, values: Mapping[str, float]) -> dict:
        paid = current.line(StatementType.CASH_FLOW, "dividends_paid")
        shares = result.assumptions.shares
        d0 = (paid or 0) / shares if shares else 0
        g1 = float(values.get("dividend_growth", result.assumptions.growth))
        years = int(values.get("dividend_years", result.assumptions.years))
        r, g2 = result.cost_of_equity, result.assumptions.terminal_growth
        out = {"dividend_per_share": d0, "cost_of_equity": r, "stable_growth": g2,
               "high_growth": g1, "high_growth_years": years,
               "sources": {"dividend_per_share": "dividends_paid / shares",
                           "cost_of_equity": "CAPM, as in the DCF"}}
        if d0 <= 0:
            return out | {"applicable": False, "reason": "the company pays no dividend"}
        return out | {"applicable": True, "gordon": ddm.gordon(d0, r, g2),
                      "two_stage": ddm.two_stage(d0, r, g1, years, g2)}

    async def _multiples(self, ticker, sector, current, market, version):
        others = [i.ticker for i in self.analysis.market.universe
                  if i.asset_class is AssetClass.EQUITY and i.sector == sector
                  and i.ticker != ticker]
        peer_values = {}
        for peer in others:
            series = await self.analysis.periods(peer, PeriodType.TTM, version, 1)
            price = await self.analysis.price(peer)
            if series and price is not None:
                ratios = compute(series[-1], None, price, MULTIPLES)
                peer_values[peer] = {r.name: r.value for r in ratios}
        mine = {r.name: r.value for r in compute(current, None, market,
                                                  [*MULTIPLES, *_BASE])}
        base = {"eps": mine["eps_diluted"], "revenue_per_share": mine["revenue_per_share"],
                "book_value_per_share": mine["book_value_per_share"],
                "net_debt": mine["net_debt"], "shares": current.line(
                    StatementType.BALANCE, "shares_outstanding"),
                "ebitda": _ebitda(current)}
        return sorted(peer_values), compare(mine, peer_values, base)


def _ebitda(p) -> float | None:
    value = p.line(StatementType.INCOME, "ebitda")
    if value is not None:
        return value
    op, da = p.line(StatementType.INCOME, "operating_income"), p.line(
        StatementType.INCOME, "depreciation_amortization")
    return None if op is None or da is None else op + da
