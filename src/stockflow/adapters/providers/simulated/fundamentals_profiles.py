"""Sector profiles of the simulated fundamentals: margins, growth, intensity and payout levels.

Levels are rounded from typical large-cap figures of each GICS sector (price/sales, gross and
operating margins, capex and D&A over revenue, working-capital days, leverage, payout); each
company draws its own values around them, so two companies of one sector differ.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SectorProfile:
    price_to_sales: float
    gross_margin: float
    operating_margin: float
    rnd: float                  # research & development / revenue
    da: float                   # depreciation & amortisation / revenue
    capex: float                # capital expenditure / revenue
    growth: float               # annual revenue growth before the company's own tilt
    tax_rate: float
    dso: float                  # days of sales in receivables
    dio: float                  # days of cost in inventory
    dpo: float                  # days of cost in payables
    debt: float                 # debt / annual revenue at the start
    cash: float                 # cash / annual revenue at the start
    payout: float               # dividends / expected earnings, for payers
    buyback: float              # repurchases / expected earnings
    seasonality: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)


PROFILES: dict[str, SectorProfile] = {
    "Information Technology": SectorProfile(8.0, 0.62, 0.30, 0.14, 0.04, 0.06, 0.10, 0.15,
                                            55, 40, 45, 0.35, 0.40, 0.20, 0.45,
                                            (0.96, 0.97, 1.00, 1.07)),
    "Communication Services": SectorProfile(5.0, 0.58, 0.26, 0.12, 0.08, 0.12, 0.08, 0.17,
                                            45, 5, 30, 0.40, 0.30, 0.15, 0.40,
                                            (0.95, 0.98, 1.00, 1.07)),
    "Consumer Discretionary": SectorProfile(2.6, 0.38, 0.10, 0.05, 0.05, 0.08, 0.09, 0.19,
                                            25, 50, 60, 0.30, 0.20, 0.0, 0.10,
                                            (0.93, 0.97, 0.98, 1.12)),
    "Financials": SectorProfile(4.5, 0.80, 0.35, 0.0, 0.02, 0.02, 0.06, 0.21,
                                60, 0, 20, 1.80, 0.80, 0.30, 0.35),
    "Energy": SectorProfile(1.4, 0.32, 0.14, 0.0, 0.08, 0.10, 0.02, 0.23,
                            40, 25, 50, 0.20, 0.10, 0.45, 0.30),
    "Health Care": SectorProfile(4.0, 0.70, 0.22, 0.16, 0.05, 0.04, 0.06, 0.16,
                                 60, 90, 50, 0.45, 0.20, 0.40, 0.20),
    "Consumer Staples": SectorProfile(1.6, 0.36, 0.14, 0.01, 0.03, 0.04, 0.04, 0.22,
                                      25, 45, 55, 0.35, 0.08, 0.60, 0.15,
                                      (0.95, 1.00, 0.98, 1.07)),
    "Industrials": SectorProfile(2.4, 0.30, 0.14, 0.03, 0.04, 0.05, 0.05, 0.21,
                                 60, 90, 50, 0.45, 0.12, 0.35, 0.25),
}
DEFAULT_PROFILE = PROFILES["Industrials"]

# Companies of the simulated universe that paid no regular dividend over the period.
NON_PAYERS = frozenset({"AMD", "AMZN", "TSLA", "NFLX", "BA"})

# Month the fiscal year ends in, by country: Indian companies close their year on 31 March.
FISCAL_YEAR_END_MONTH = {"US": 12, "IN": 3}
