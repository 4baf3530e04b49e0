"""The offline brief: deterministic sentences from the same facts, cited like an LLM brief, so
`stockflow up` answers with no model configured. It passes the number checker by construction
(it writes fact values as they are, rounded), which a test holds it to."""

from __future__ import annotations

from stockflow.intel.domain import MARKET, Fact, FactsBundle


def _n(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def _pct(f: Fact) -> str:
    v = f.value * 100 if f.unit == "fraction" else f.value
    return f"{_n(abs(v))} %"


def _updown(v: float) -> str:
    return "up" if v > 0 else "down" if v < 0 else "unchanged"


def brief_text(bundle: FactsBundle) -> tuple[str, list[str]]:
    facts = bundle.by_id()
    lines: list[str] = []
    cites: list[str] = []

    def say(text: str, *ids: str) -> None:
        lines.append(f"{text} [{', '.join(ids)}]." if ids else f"{text}.")
        cites.extend(i for i in ids if i not in cites)

    if bundle.scope == MARKET:
        _market(bundle, facts, say)
    else:
        _ticker(bundle, facts, say)
    _news(facts, say)
    return " ".join(lines), cites


def _ticker(bundle: FactsBundle, f: dict[str, Fact], say) -> None:
    t = bundle.subject
    if "quote.price" in f:
        p = f["quote.price"]
        text = f"{t} ({f['name'].value}) last traded at {_n(p.value)} {p.unit}"
        ids = ["quote.price"]
        if "quote.change_pct" in f:
            c = f["quote.change_pct"]
            text += f", {_updown(c.value)} {_pct(c)} on the day"
            ids.append("quote.change_pct")
        say(text, *ids)
    if "session.state" in f:
        say(f"Its exchange {f['session.exchange'].value} is {f['session.state'].value}",
            "session.exchange", "session.state")
    if "ind.rsi_14" in f:
        rsi = f["ind.rsi_14"].value
        zone = "overbought" if rsi >= 70 else "oversold" if rsi <= 30 else "neutral"
        say(f"RSI 14 stands at {_n(rsi, 1)}, in the {zone} zone", "ind.rsi_14")
    if "ind.sma_50" in f and "quote.price" in f:
        side = "above" if f["quote.price"].value >= f["ind.sma_50"].value else "below"
        say(f"The price is {side} its SMA 50 of {_n(f['ind.sma_50'].value)}", "ind.sma_50",
            "quote.price")
    if "fund.price_to_earnings" in f:
        say(f"The TTM price to earnings is {_n(f['fund.price_to_earnings'].value, 1)}",
            "fund.price_to_earnings")
    if "val.dcf_value_per_share" in f and "val.dcf_upside" in f:
        u = f["val.dcf_upside"]
        say(f"A DCF puts its value at {_n(f['val.dcf_value_per_share'].value)} per share, "
            f"{_pct(u)} {'above' if u.value >= 0 else 'below'} the price",
            "val.dcf_value_per_share", "val.dcf_upside")
    if "fc.point" in f:
        fc = f["fc.point"]
        text = f"The {fc.name} is {_n(fc.value)}"
        ids = ["fc.point"]
        if "fc.lo_95" in f and "fc.hi_95" in f:
            text += f" (95 % range {_n(f['fc.lo_95'].value)} to {_n(f['fc.hi_95'].value)})"
            ids += ["fc.lo_95", "fc.hi_95"]
        say(text, *ids)
    if "risk.var_95_1d" in f:
        say(f"Historical VaR 95 1-day is {_pct(f['risk.var_95_1d'])} of value",
            "risk.var_95_1d")
    if "sig.ensemble.action" in f:
        say(f"The signal ensemble reads {f['sig.ensemble.action'].value}", "sig.ensemble.action")


def _market(bundle: FactsBundle, f: dict[str, Fact], say) -> None:
    for fid, fact in f.items():
        if fid.startswith("session.") and fid.endswith(".state"):
            ex = fid.removesuffix(".state")
            say(f"{f[ex + '.exchange'].value} is {fact.value}", ex + ".exchange", fid)
    for fid, fact in f.items():
        if fid.startswith("mkt.") and fid.endswith(".change_pct"):
            t = fid.removeprefix("mkt.").removesuffix(".change_pct")
            say(f"{t} is {_updown(fact.value)} {_pct(fact)}", fid)
    if "breadth.up" in f:
        say(f"Of the leaders, {f['breadth.up'].value} rose and {f['breadth.down'].value} fell",
            "breadth.up", "breadth.down")


def _news(f: dict[str, Fact], say) -> None:
    if "news.count" not in f:
        return
    if not f["news.count"].value:
        say("No news was published in the period", "news.count")
        return
    text = f"{f['news.count'].value} articles in the period"
    ids = ["news.count"]
    if "news.mean_score" in f:
        text += f", mean sentiment {_n(f['news.mean_score'].value, 3)}"
        ids.append("news.mean_score")
    say(text, *ids)
    if "news.1.title" in f:
        label = f" ({f['news.1.sentiment'].value})" if "news.1.sentiment" in f else ""
        say(f"Latest: \"{f['news.1.title'].value}\"{label}", "news.1.title")
