"""DuPont decompositions, Altman's Z-score and Piotroski's F-score.

Altman Z (1968, public manufacturers): 1.2·WC/TA + 1.4·RE/TA + 3.3·EBIT/TA + 0.6·MV/TL +
1.0·Sales/TA; above 2.99 "safe", below 1.81 "distress". Piotroski F (2000): nine pass/fail
tests on profitability, leverage/liquidity and efficiency against the year before.
"""

from __future__ import annotations

from stockflow.analysis.ratios.catalogue import RatioDef, _r
from stockflow.analysis.ratios.inputs import Inputs, add, div, mul

D3, D5, SC = "dupont_3", "dupont_5", "scores"


def _net_margin(x: Inputs) -> float | None:
    return div(x("net_income"), x("revenue"))


def _turnover(x: Inputs) -> float | None:
    return div(x("revenue"), x.avg("total_assets"))


def _multiplier(x: Inputs) -> float | None:
    return div(x.avg("total_assets"), x.avg("total_equity"))


def _tax_burden(x: Inputs) -> float | None:
    return div(x("net_income"), x("pretax_income"))


def _interest_burden(x: Inputs) -> float | None:
    return div(x("pretax_income"), x("ebit"))


def _ebit_margin(x: Inputs) -> float | None:
    return div(x("ebit"), x("revenue"))


def _product(*values: float | None) -> float | None:
    out: float | None = 1.0
    for v in values:
        out = mul(out, v)
    return out


def altman_z(x: Inputs) -> float | None:
    ta = x("total_assets")
    terms = [mul(1.2, div(x("working_capital"), ta)),
             mul(1.4, div(x("retained_earnings"), ta)),
             mul(3.3, div(x("ebit"), ta)),
             mul(0.6, div(x("market_cap"), x("total_liabilities"))),
             mul(1.0, div(x("revenue"), ta))]
    z = add(*terms)
    if z is not None:
        zone = "safe" if z > 2.99 else "distress" if z < 1.81 else "grey"
        x.note("zone", None, {"computed": zone})
    return z


def _criteria(x: Inputs) -> dict[str, bool | None]:
    roa, roa0 = div(x("net_income"), x("total_assets")), div(x.prior("net_income"),
                                                              x.prior("total_assets"))
    lev, lev0 = div(x("long_term_debt"), x("total_assets")), div(x.prior("long_term_debt"),
                                                                 x.prior("total_assets"))
    cr, cr0 = div(x("total_current_assets"), x("total_current_liabilities")), div(
        x.prior("total_current_assets"), x.prior("total_current_liabilities"))
    gm, gm0 = div(x("gross_profit"), x("revenue")), div(x.prior("gross_profit"),
                                                        x.prior("revenue"))
    at, at0 = div(x("revenue"), x("total_assets")), div(x.prior("revenue"),
                                                        x.prior("total_assets"))
    shares, shares0 = x("shares_outstanding"), x.prior("shares_outstanding")
    cfo, ni = x("operating_cash_flow"), x("net_income")

    def gt(a: float | None, b: float | None) -> bool | None:
        return None if a is None or b is None else a > b

    return {"positive_roa": gt(roa, 0), "positive_operating_cash_flow": gt(cfo, 0),
            "rising_roa": gt(roa, roa0), "cash_flow_above_net_income": gt(cfo, ni),
            "falling_leverage": gt(lev0, lev), "rising_current_ratio": gt(cr, cr0),
            "no_new_shares": None if shares is None or shares0 is None else shares <= shares0,
            "rising_gross_margin": gt(gm, gm0), "rising_asset_turnover": gt(at, at0)}


def piotroski_f(x: Inputs) -> float | None:
    criteria = _criteria(x)
    for name, passed in criteria.items():
        x.note(f"criterion.{name}", None if passed is None else int(passed),
               {"computed": "1 if passed, 0 if failed"})
    if any(v is None for v in criteria.values()):
        return None          # a score over fewer than nine tests would not be Piotroski's
    return float(sum(criteria.values()))


SCORES: list[RatioDef] = [
    _r("dupont_3.net_margin", D3, "net_income / revenue", _net_margin),
    _r("dupont_3.asset_turnover", D3, "revenue / avg.total_assets", _turnover),
    _r("dupont_3.equity_multiplier", D3, "avg.total_assets / avg.total_equity", _multiplier),
    _r("dupont_3.return_on_equity", D3, "net_margin × asset_turnover × equity_multiplier",
       lambda x: _product(_net_margin(x), _turnover(x), _multiplier(x))),
    _r("dupont_5.tax_burden", D5, "net_income / pretax_income", _tax_burden),
    _r("dupont_5.interest_burden", D5, "pretax_income / ebit", _interest_burden),
    _r("dupont_5.ebit_margin", D5, "ebit / revenue", _ebit_margin),
    _r("dupont_5.asset_turnover", D5, "revenue / avg.total_assets", _turnover),
    _r("dupont_5.equity_multiplier", D5, "avg.total_assets / avg.total_equity", _multiplier),
    _r("dupont_5.return_on_equity", D5, "tax_burden × interest_burden × ebit_margin × "
       "asset_turnover × equity_multiplier",
       lambda x: _product(_tax_burden(x), _interest_burden(x), _ebit_margin(x), _turnover(x),
                          _multiplier(x))),
    _r("altman_z", SC, "1.2·working_capital/total_assets + 1.4·retained_earnings/total_assets"
       " + 3.3·ebit/total_assets + 0.6·market_cap/total_liabilities + 1.0·revenue/total_assets",
       altman_z, "score"),
    _r("piotroski_f", SC, "sum of nine 0/1 tests against the year before", piotroski_f,
       "score"),
]
