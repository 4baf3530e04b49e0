"""The ratio catalogue: name, group, formula as text, and the computation reading `Inputs`.

EBIT is operating income. Averages are of this period's and the prior year's balance. Debt is
short- plus long-term debt. Valuation ratios use the market price given; without one they are
None rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stockflow.analysis.ratios.inputs import Inputs, add, div, mul, sub

Fn = Callable[[Inputs], float | None]


@dataclass(frozen=True, slots=True)
class RatioDef:
    name: str
    group: str
    formula: str
    fn: Fn
    unit: str = "ratio"          # ratio | amount | days | per_share | score


def _ev(x: Inputs) -> float | None:
    return sub(add(x("market_cap"), x("total_debt")), x("cash_and_investments"))


def _r(name: str, group: str, formula: str, fn: Fn, unit: str = "ratio") -> RatioDef:
    return RatioDef(name, group, formula, fn, unit)


V, P, L, S = "valuation", "profitability", "liquidity", "solvency"
E, C, PS = "efficiency", "cash_flow", "per_share"

VALUATION = [
    _r("price_to_earnings", V, "market_cap / net_income", lambda x: div(x("market_cap"),
                                                                         x("net_income"))),
    _r("price_to_book", V, "market_cap / total_equity", lambda x: div(x("market_cap"),
                                                                       x("total_equity"))),
    _r("price_to_sales", V, "market_cap / revenue", lambda x: div(x("market_cap"),
                                                                   x("revenue"))),
    _r("price_to_cash_flow", V, "market_cap / operating_cash_flow",
       lambda x: div(x("market_cap"), x("operating_cash_flow"))),
    _r("price_to_free_cash_flow", V, "market_cap / fcf", lambda x: div(x("market_cap"),
                                                                        x("fcf"))),
    _r("enterprise_value", V, "market_cap + total_debt - cash_and_investments", _ev, "amount"),
    _r("ev_to_ebitda", V, "enterprise_value / ebitda_value", lambda x: div(_ev(x),
                                                                            x("ebitda_value"))),
    _r("ev_to_sales", V, "enterprise_value / revenue", lambda x: div(_ev(x), x("revenue"))),
    _r("ev_to_ebit", V, "enterprise_value / ebit", lambda x: div(_ev(x), x("ebit"))),
    _r("earnings_yield", V, "net_income / market_cap", lambda x: div(x("net_income"),
                                                                      x("market_cap"))),
    _r("free_cash_flow_yield", V, "fcf / market_cap", lambda x: div(x("fcf"), x("market_cap"))),
    _r("dividend_yield", V, "dividends_paid / market_cap", lambda x: div(x("dividends_paid"),
                                                                          x("market_cap"))),
    _r("shareholder_yield", V, "(dividends_paid + share_repurchase) / market_cap",
       lambda x: div(add(x("dividends_paid"), x("share_repurchase")), x("market_cap"))),
    _r("peg_ratio", V, "price_to_earnings / (100 × (net_income / prior.net_income - 1))",
       lambda x: _peg(x)),
]

PROFITABILITY = [
    _r("gross_margin", P, "gross_profit / revenue", lambda x: div(x("gross_profit"),
                                                                   x("revenue"))),
    _r("operating_margin", P, "operating_income / revenue",
       lambda x: div(x("operating_income"), x("revenue"))),
    _r("ebitda_margin", P, "ebitda_value / revenue", lambda x: div(x("ebitda_value"),
                                                                    x("revenue"))),
    _r("pretax_margin", P, "pretax_income / revenue", lambda x: div(x("pretax_income"),
                                                                     x("revenue"))),
    _r("net_margin", P, "net_income / revenue", lambda x: div(x("net_income"), x("revenue"))),
    _r("return_on_equity", P, "net_income / avg.total_equity",
       lambda x: div(x("net_income"), x.avg("total_equity"))),
    _r("return_on_assets", P, "net_income / avg.total_assets",
       lambda x: div(x("net_income"), x.avg("total_assets"))),
    _r("return_on_invested_capital", P,
       "ebit × (1 - income_tax / pretax_income) / (total_debt + total_equity - cash)",
       lambda x: div(mul(x("ebit"), sub(1, div(x("income_tax"), x("pretax_income")))),
                     sub(add(x("total_debt"), x("total_equity")), x("cash")))),
    _r("return_on_capital_employed", P, "ebit / (total_assets - total_current_liabilities)",
       lambda x: div(x("ebit"), sub(x("total_assets"), x("total_current_liabilities")))),
    _r("effective_tax_rate", P, "income_tax / pretax_income",
       lambda x: div(x("income_tax"), x("pretax_income"))),
    _r("research_to_revenue", P, "research_development / revenue",
       lambda x: div(x("research_development"), x("revenue"))),
    _r("sga_to_revenue", P, "selling_general_admin / revenue",
       lambda x: div(x("selling_general_admin"), x("revenue"))),
]

LIQUIDITY = [
    _r("current_ratio", L, "total_current_assets / total_current_liabilities",
       lambda x: div(x("total_current_assets"), x("total_current_liabilities"))),
    _r("quick_ratio", L, "(cash_and_investments + receivables) / total_current_liabilities",
       lambda x: div(add(x("cash_and_investments"), x("receivables")),
                     x("total_current_liabilities"))),
    _r("cash_ratio", L, "cash_and_investments / total_current_liabilities",
       lambda x: div(x("cash_and_investments"), x("total_current_liabilities"))),
    _r("operating_cash_flow_ratio", L, "operating_cash_flow / total_current_liabilities",
       lambda x: div(x("operating_cash_flow"), x("total_current_liabilities"))),
    _r("working_capital", L, "total_current_assets - total_current_liabilities",
       lambda x: x("working_capital"), "amount"),
    _r("working_capital_to_assets", L, "working_capital / total_assets",
       lambda x: div(x("working_capital"), x("total_assets"))),
]


def _peg(x: Inputs) -> float | None:
    pe = div(x("market_cap"), x("net_income"))
    growth = sub(div(x("net_income"), x.prior("net_income")), 1)
    if growth is None or growth <= 0:
        return None          # PEG has no meaning for flat or falling earnings
    return div(pe, growth * 100)
