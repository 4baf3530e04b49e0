"""Simulated fundamentals: six fiscal years of quarterly and annual statements for every equity.

Deterministic per (seed, ticker) like the prices: every draw comes from `model.rng`. Money is in
whole currency units (Python ints), so the identities hold exactly, not to a rounding error:
the balance sheet balances, the cash-flow statement explains the change in cash, and net income
moves retained earnings (less dividends) and starts the operating cash flow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from stockflow.adapters.providers.simulated.fundamentals_profiles import (
    DEFAULT_PROFILE,
    FISCAL_YEAR_END_MONTH,
    NON_PAYERS,
    PROFILES,
)
from stockflow.adapters.providers.simulated.fundamentals_quarter import (
    Draws,
    annual_items,
    opening_balance,
    simulate_quarter,
)
from stockflow.adapters.providers.simulated.model import REFERENCE_DATE, rng
from stockflow.adapters.providers.simulated.universe import Listing, default_universe
from stockflow.analysis.accounts import StatementType, names
from stockflow.analysis.domain import CompanyProfile, PeriodType, Statement
from stockflow.analysis.errors import NoFundamentals
from stockflow.core.problems import not_found
from stockflow.market.domain import AssetClass

# The five years of the price history plus the one before, so growth over all five (a
# 5-year CAGR) has its base year.
YEARS = 6
SOURCE = "simulated"
RESTATEMENT_SHARE = 0.3          # share of companies with one restated quarter


@dataclass(frozen=True, slots=True)
class FiscalQuarter:
    fiscal_year: int
    quarter: int
    start: date
    end: date


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def fiscal_quarters(fye_month: int, anchor: date, years: int = YEARS) -> list[FiscalQuarter]:
    """The quarters of the last `years` complete fiscal years, then any later ones to `anchor`."""
    last_fy = anchor.year if (anchor.month, anchor.day) >= (fye_month, 28) else anchor.year - 1
    if _month_end(last_fy, fye_month) > anchor:
        last_fy -= 1
    out: list[FiscalQuarter] = []
    for fy in range(last_fy - years + 1, last_fy + 2):
        for q in range(1, 5):
            months_back = 12 - 3 * q               # months from this quarter's end to the FYE
            m = fye_month - months_back
            year = fy + (m - 1) // 12
            month = (m - 1) % 12 + 1
            end = _month_end(year, month)
            sm = month - 2
            start = date(year + (sm - 1) // 12, (sm - 1) % 12 + 1, 1)
            if end <= anchor:
                out.append(FiscalQuarter(fy, q, start, end))
    return out


def _draws(seed: int, listing: Listing) -> Draws:
    inst, params = listing.instrument, listing.params
    p = PROFILES.get(inst.sector, DEFAULT_PROFILE)
    r = rng(seed, "fundamentals", inst.ticker)
    z = r.standard_normal(12)
    da = p.da * math.exp(0.15 * z[4])
    season = np.array(p.seasonality) * np.exp(0.01 * z[8:12])
    return Draws(
        price_to_sales=p.price_to_sales * math.exp(0.25 * z[0]),
        gross_margin=min(0.95, max(0.12, p.gross_margin + 0.04 * z[1])),
        operating_margin=min(0.6, max(0.03, p.operating_margin + 0.03 * z[2])),
        rnd=p.rnd * math.exp(0.2 * z[3]), da=da, capex=max(p.capex * math.exp(0.2 * z[5]), da * 1.15),
        growth=p.growth + 0.4 * (params.drift - 0.1) + 0.02 * z[6], tax_rate=p.tax_rate,
        dso=p.dso, dio=p.dio, dpo=p.dpo, debt=p.debt * math.exp(0.3 * z[7]), cash=p.cash,
        payout=0.0 if inst.ticker in NON_PAYERS else p.payout, buyback=p.buyback,
        seasonality=tuple(float(s) for s in season / season.mean()),
    )


class SimulatedFundamentals:
    """The offline FundamentalsSource: statements for every equity of the simulated universe."""

    name = SOURCE

    def __init__(self, seed: int, listings: tuple[Listing, ...] | None = None,
                 anchor: date | None = None) -> None:
        self._seed = seed
        self._listings = {x.ticker: x for x in (listings or default_universe())}
        self._anchor = anchor or REFERENCE_DATE - timedelta(days=1)
        self._cached = lru_cache(maxsize=256)(self._build)

    def supports(self, ticker: str) -> bool:
        listing = self._listings.get(ticker.upper())
        return listing is not None and listing.instrument.asset_class is AssetClass.EQUITY

    def listing(self, ticker: str) -> Listing:
        listing = self._listings.get(ticker.upper())
        if listing is None:
            raise not_found("ticker", ticker)
        if listing.instrument.asset_class is not AssetClass.EQUITY:
            kind = listing.instrument.asset_class.value
            raise NoFundamentals(listing.ticker, f"{kind} instruments file no financial "
                                 "statements; only equities have fundamentals")
        return listing

    async def statements(self, ticker: str) -> list[Statement]:
        return self.statements_sync(ticker)

    async def profile(self, ticker: str) -> CompanyProfile:
        """The universe's fields; shares are the latest balance sheet's, so price × shares is
        the market cap `/v1/companies` shows."""
        listing = self.listing(ticker)
        inst = listing.instrument
        country = inst.metadata.get("country", "US")
        fye = FISCAL_YEAR_END_MONTH.get(country, 12)
        shares = round(inst.market_cap / listing.params.ref_price)
        return CompanyProfile(
            ticker=inst.ticker, name=inst.name, exchange=inst.exchange, currency=inst.currency,
            country=country, sector=inst.sector, industry=inst.industry,
            fiscal_year_end=date(2000, fye, 1).strftime("%B"), shares_outstanding=shares,
            market_cap=float(inst.market_cap), source=SOURCE)

    def statements_sync(self, ticker: str) -> list[Statement]:
        """Every statement, both revisions where a quarter was restated."""
        return list(self._cached(self.listing(ticker).ticker))

    def _build(self, ticker: str) -> tuple[Statement, ...]:
        listing = self._listings[ticker]
        country = listing.instrument.metadata.get("country", "US")
        quarters = fiscal_quarters(FISCAL_YEAR_END_MONTH.get(country, 12), self._anchor)
        return tuple(build_statements(self._seed, listing, _draws(self._seed, listing),
                                      quarters))


def _trend_revenue(listing: Listing, d: Draws, n: int) -> list[float]:
    # The last four quarters' revenue is market cap / price-to-sales; earlier ones shrink by
    # the company's growth rate, so revenue ends where today's valuation puts it.
    annual = listing.instrument.market_cap / d.price_to_sales
    q_growth = (1 + d.growth) ** 0.25
    return [annual / 4 * q_growth ** (i - (n - 1) + 1.5) for i in range(n)]


def build_statements(seed: int, listing: Listing, d: Draws,
                     quarters: list[FiscalQuarter]) -> list[Statement]:
    r = rng(seed, "fundamentals-path", listing.ticker)
    n = len(quarters)
    trend = _trend_revenue(listing, d, n)
    noise = r.standard_normal((n, 5))
    spike = int(r.integers(4, n))                      # the negative free-cash-flow quarter
    state = opening_balance(trend[0] * 4 / (1 + d.growth), d)
    rows = []
    for i, fq in enumerate(quarters):
        rev = round(trend[i] * d.seasonality[fq.quarter - 1] * math.exp(0.02 * noise[i, 4]))
        state = simulate_quarter(state, rev, trend[i], d, noise[i], spike=i == spike)
        rows.append(state)
    _share_counts(listing, d, quarters, rows)
    restated = _restatement(r, d, quarters, rows)
    return _assemble(listing, quarters, rows, restated)


def _share_counts(listing: Listing, d: Draws, quarters: list[FiscalQuarter],
                  rows: list[dict]) -> None:
    """Shares outstanding backwards from today's: price × shares is the universe's market cap."""
    params = listing.params
    shares = round(listing.instrument.market_cap / params.ref_price)
    last_end = quarters[-1].end
    for fq, row in zip(reversed(quarters), reversed(rows), strict=True):
        years_back = (last_end - fq.end).days / 365.25
        price = params.ref_price * math.exp(-params.drift * years_back)
        bought = round(row["cash_flow"]["share_repurchase"] / price)
        begin = shares + bought
        basic = round((shares + begin) / 2)
        inc = row["income"]
        inc["shares_basic"], inc["shares_diluted"] = basic, round(basic * 1.008)
        inc["eps_basic"] = round(inc["net_income"] / basic, 4)
        inc["eps_diluted"] = round(inc["net_income"] / inc["shares_diluted"], 4)
        inc["dividends_per_share"] = round(row["cash_flow"]["dividends_paid"] / basic, 4)
        row["balance"]["shares_outstanding"] = shares
        shares = begin


def _restatement(r: np.random.Generator, d: Draws, quarters: list[FiscalQuarter],
                 rows: list[dict]) -> dict[int, dict]:
    """First-reported versions of the quarters a revenue overstatement touched, by index.

    Revenue booked too early in quarter fq: receivables, tax owed (in other current
    liabilities) and retained earnings carry it until the 10-K corrects the year, so both
    versions of every statement still satisfy every identity.
    """
    if r.random() >= RESTATEMENT_SHARE:
        return {}
    years = sorted({q.fiscal_year for q in quarters})
    fy, fq = years[int(r.integers(1, 4))], int(r.integers(1, 4))
    hit = [i for i, q in enumerate(quarters) if q.fiscal_year == fy and fq <= q.quarter <= 3]
    delta = round(0.03 * rows[hit[0]]["income"]["revenue"])
    tax = round(delta * d.tax_rate)
    out: dict[int, dict] = {}
    for i in hit:
        first = {k: dict(v) for k, v in rows[i].items()}
        b = first["balance"]
        b["receivables"] += delta
        b["other_current_liabilities"] += tax
        b["retained_earnings"] += delta - tax
        for total in ("total_current_assets", "total_assets"):
            b[total] += delta
        for total in ("total_current_liabilities", "total_liabilities"):
            b[total] += tax
        b["total_equity"] += delta - tax
        if i == hit[0]:
            inc, c = first["income"], first["cash_flow"]
            for name in ("revenue", "gross_profit", "operating_income", "pretax_income",
                         "ebitda"):
                inc[name] += delta
            inc["income_tax"] += tax
            inc["net_income"] += delta - tax
            inc["eps_basic"] = round(inc["net_income"] / inc["shares_basic"], 4)
            inc["eps_diluted"] = round(inc["net_income"] / inc["shares_diluted"], 4)
            c["net_income"] += delta - tax
            c["change_receivables"] -= delta
            c["change_other_working_capital"] += tax
        out[i] = first
    return out


def _statement(listing: Listing, kind: StatementType, period: PeriodType, fy: int,
               fq: int | None, start: date, end: date, items: dict, filed: date,
               revision: int = 0, flags: tuple[str, ...] = ()) -> Statement:
    full = dict.fromkeys(names(kind)) | items
    return Statement(ticker=listing.ticker, statement=kind, period=period, fiscal_year=fy,
                     fiscal_quarter=fq, start=start, end=end,
                     currency=listing.instrument.currency, items=full, source=SOURCE,
                     filed=filed, revision=revision, flags=flags)


def _assemble(listing: Listing, quarters: list[FiscalQuarter], rows: list[dict],
              first_reported: dict[int, dict]) -> list[Statement]:
    out: list[Statement] = []
    ten_k = {q.fiscal_year: q.end + timedelta(days=60) for q in quarters if q.quarter == 4}
    for i, (fq, row) in enumerate(zip(quarters, rows, strict=True)):
        filed = fq.end + timedelta(days=60 if fq.quarter == 4 else 40)
        for kind in StatementType:
            first = first_reported.get(i, row)[kind.value]
            args = (listing, kind, PeriodType.QUARTER, fq.fiscal_year, fq.quarter, fq.start,
                    fq.end)
            out.append(_statement(*args, first, filed))
            if first != row[kind.value]:
                out.append(_statement(*args, row[kind.value], ten_k[fq.fiscal_year], 1,
                                      ("restated",)))
    for fy in sorted(ten_k):
        idx = [i for i, q in enumerate(quarters) if q.fiscal_year == fy]
        if len(idx) != 4:
            continue
        for kind in StatementType:
            items = annual_items(kind, [rows[i][kind.value] for i in idx])
            out.append(_statement(listing, kind, PeriodType.ANNUAL, fy, None,
                                  quarters[idx[0]].start, quarters[idx[-1]].end, items,
                                  ten_k[fy]))
    return out
