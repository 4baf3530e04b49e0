"""The facts bundle: every figure a brief may use, read through the other contexts' ports, each
with its unit, source and as-of time. A source that fails or is too slow is listed under
`missing` and the bundle is built without it: a brief says less rather than fails."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from stockflow.core.ports import Clock
from stockflow.intel.config import IntelSettings
from stockflow.intel.domain import MARKET, TICKER, Fact, FactsBundle
from stockflow.signals.ports import SignalReader

# (indicators, parameters, {(indicator, output): (fact id, name, unit)}), one call each: a
# name appears once per call, so the second SMA has its own.
INDICATORS = (
    ("rsi,sma,macd,bbands,atr",
     {"rsi.timeperiod": 14, "sma.timeperiod": 20, "bbands.timeperiod": 20, "atr.timeperiod": 14},
     {("rsi", "real"): ("rsi_14", "RSI 14", "index"),
      ("sma", "real"): ("sma_20", "SMA 20", "price"),
      ("macd", "macd"): ("macd", "MACD 12 26", "price"),
      ("macd", "macdsignal"): ("macd_signal", "MACD signal 9", "price"),
      ("macd", "macdhist"): ("macd_hist", "MACD histogram", "price"),
      ("bbands", "upperband"): ("bb_upper", "Bollinger upper 20", "price"),
      ("bbands", "lowerband"): ("bb_lower", "Bollinger lower 20", "price"),
      ("atr", "real"): ("atr_14", "ATR 14", "price")}),
    ("sma", {"sma.timeperiod": 50}, {("sma", "real"): ("sma_50", "SMA 50", "price")}),
)
RATIOS = ("price_to_earnings", "price_to_book", "price_to_sales", "ev_to_ebitda",
          "dividend_yield", "gross_margin", "operating_margin", "net_margin",
          "return_on_equity", "current_ratio")
FRACTION_RATIOS = ("_margin", "_yield", "return_on_")
QUOTE_FIELDS = (("price", "last price", None), ("change_pct", "change today", "percent"),
                ("change", "change today", None), ("prev_close", "previous close", None),
                ("high", "day high", None), ("low", "day low", None),
                ("volume", "volume today", "shares"))


def _num(x: Any, digits: int = 4) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return round(v, digits) if math.isfinite(v) else None


class FactsAssembler:
    def __init__(self, *, market: Any, clock: Clock, settings: IntelSettings,
                 technical: Any = None, analysis: Any = None, valuation: Any = None,
                 news: Any = None, predict: Any = None, signals: SignalReader | None = None,
                 ) -> None:
        self.market, self.clock, self.s = market, clock, settings
        self.technical, self.analysis, self.valuation = technical, analysis, valuation
        self.news, self.predict, self.signals = news, predict, signals

    async def _gather(self, sources: dict[str, Callable[[], Awaitable[list[Fact]]] | None],
                      ) -> tuple[list[Fact], list[str]]:
        live = {k: v for k, v in sources.items() if v is not None}
        missing = [f"{k}: not available in this process" for k, v in sources.items() if v is None]

        async def one(fn: Callable[[], Awaitable[list[Fact]]]) -> list[Fact]:
            async with asyncio.timeout(self.s.source_timeout_seconds):
                return await fn()

        results = await asyncio.gather(*(one(fn) for fn in live.values()), return_exceptions=True)
        facts: list[Fact] = []
        for name, r in zip(live, results, strict=True):
            if isinstance(r, BaseException):
                if not isinstance(r, Exception):
                    raise r
                why = "timed out" if isinstance(r, TimeoutError) else str(r) or type(r).__name__
                missing.append(f"{name}: {why}")
            else:
                facts += r
        return facts, missing

    async def ticker(self, raw: str) -> FactsBundle:
        inst = self.market.instrument(raw)   # a 404 problem for an unknown ticker
        t = inst.ticker
        s = self.s
        facts, missing = await self._gather({
            "quote": lambda: self._quote(t, "quote"),
            "indicators": (lambda: self._indicators(t)) if self.technical else None,
            "fundamentals": (lambda: self._ratios(t)) if self.analysis else None,
            "valuation": (lambda: self._valuation(t)) if self.valuation else None,
            "news": (lambda: self._news(t)) if self.news and s.news_limit else None,
            "forecast": (lambda: self._forecast(t)) if self.predict and s.forecast else None,
            "risk": (lambda: self._risk(t)) if self.predict and s.risk else None,
            "signals": (lambda: self._signals(t)) if self.signals else None,
        })
        base = [Fact("ticker", "ticker", t, "ticker", "market.instrument", None),
                Fact("name", "company name", inst.name, "text", "market.instrument", None),
                Fact("sector", "sector", inst.sector, "text", "market.instrument", None),
                Fact("currency", "currency", inst.currency, "text", "market.instrument", None),
                *self._session(inst.exchange, "session")]
        return self._bundle(TICKER, t, base + facts, missing)

    async def market_wide(self) -> FactsBundle:
        leaders = self.leaders()
        sources: dict[str, Any] = {f"quote {t}": (lambda t=t: self._quote(t, f"mkt.{t}"))
                                   for t in leaders}
        sources["news"] = (lambda: self._news(None)) if self.news and self.s.news_limit else None
        facts, missing = await self._gather(sources)
        session: list[Fact] = []
        for ex in sorted({self.market.instrument(t).exchange for t in leaders}):
            session += self._session(ex, f"session.{ex.lower()}")
        tickers = [Fact(f"mkt.{t}.ticker", "ticker", t, "ticker", "settings", None)
                   for t in leaders]
        moves = [f.value for f in facts if f.id.endswith(".change_pct")]
        breadth = ([Fact("breadth.up", "leaders up today", sum(1 for m in moves if m > 0),
                         "count", "intel: quotes of the leaders", self.clock.now()),
                    Fact("breadth.down", "leaders down today", sum(1 for m in moves if m < 0),
                         "count", "intel: quotes of the leaders", self.clock.now())]
                   if moves else [])
        return self._bundle(MARKET, "market", session + tickers + facts + breadth, missing)

    def leaders(self) -> list[str]:
        if self.s.market_tickers:
            return [self.market.instrument(t).ticker for t in self.s.market_tickers]
        by_exchange: dict[str, list[Any]] = {}
        for i in self.market.universe:
            if str(i.asset_class) == "equity":
                by_exchange.setdefault(i.exchange, []).append(i)
        n = self.s.market_leaders_per_exchange
        return [i.ticker for ex in sorted(by_exchange) for i in
                sorted(by_exchange[ex], key=lambda i: (-i.market_cap, i.ticker))[:n]]

    def _bundle(self, scope: str, subject: str, facts: list[Fact],
                missing: list[str]) -> FactsBundle:
        untrusted = tuple(f.value for f in facts if f.unit == "headline")
        return FactsBundle(scope, subject, tuple(facts), self.clock.now(), tuple(missing),
                           untrusted)

    # -- sources ---------------------------------------------------------------------------

    def _session(self, exchange: str, prefix: str) -> list[Fact]:
        now = self.clock.now()
        found = [st for st in self.market.market_status(now) if st["exchange"] == exchange]
        if not found:
            return []
        st = found[0]
        src = "market.calendar"
        out = [Fact(f"{prefix}.exchange", "exchange", st["exchange"], "text", src, now),
               Fact(f"{prefix}.state", "session state", st["state"], "text", src, now)]
        for key, name in (("next_open", "next open"), ("next_close", "next close")):
            if st.get(key):
                out.append(Fact(f"{prefix}.{key}", name, str(st[key]), "time", src, now))
        return out

    async def _quote(self, t: str, prefix: str) -> list[Fact]:
        raw, meta = await self.market.quote_json(t)
        q = orjson.loads(raw)
        at = datetime.fromisoformat(q["time"])
        src = f"market.quote ({q.get('provider')}{', stale' if meta else ''})"
        return [Fact(f"{prefix}.{k}", name, v, unit or q["currency"], src, at)
                for k, name, unit in QUOTE_FIELDS if (v := _num(q.get(k))) is not None]

    async def _indicators(self, t: str) -> list[Fact]:
        out = []
        for names, query, wanted in INDICATORS:
            series = await self.technical.from_query(t, names, query, limit=1)
            if not series.times:
                continue
            at = series.times[-1]
            for r in series.results:
                for key, values in r.outputs.items():
                    found = wanted.get((r.name.lower(), key))
                    v = _num(values[-1]) if found else None
                    if found and v is not None:
                        fid, label, unit = found
                        out.append(Fact(f"ind.{fid}", label, v, unit,
                                        f"analysis.technical {r.name.lower()}", at))
        return out

    async def _ratios(self, t: str) -> list[Fact]:
        rows = await self.analysis.ratios(t)
        if not rows:
            return []
        period = rows[0].period
        at = datetime.combine(period.end, datetime.min.time()) if hasattr(period, "end") else None
        out = []
        for r in rows[0].ratios:
            v = _num(r.value)
            if r.name in RATIOS and v is not None:
                unit = "fraction" if any(k in r.name for k in FRACTION_RATIOS) else r.unit
                out.append(Fact(f"fund.{r.name}", r.name.replace("_", " "), v, unit,
                                "analysis.ratios (TTM)", at))
        return out

    async def _valuation(self, t: str) -> list[Fact]:
        v = await self.valuation.valuation(t)
        at = self.clock.now()
        per_share, price = _num(v.dcf.value_per_share, 2), _num(v.price, 2)
        out = [Fact("val.dcf_value_per_share", "DCF value per share", per_share, "price",
                    "analysis.valuation dcf", at),
               Fact("val.wacc", "WACC", _num(v.dcf.wacc), "fraction", "analysis.valuation", at)]
        if per_share is not None and price:
            out.append(Fact("val.dcf_upside", "DCF value vs price", _num(per_share / price - 1),
                            "fraction", "analysis.valuation dcf", at))
        return [f for f in out if f.value is not None]

    async def _news(self, t: str | None) -> list[Fact]:
        from stockflow.news.domain import ArticleQuery

        since = self.clock.now() - timedelta(days=self.s.news_days if t else 1)
        rows, _ = await self.news.page(ArticleQuery(ticker=t, since=since,
                                                    limit=self.s.news_limit), full=True)
        out = [Fact("news.count", f"articles in {self.s.news_days if t else 1} days",
                    len(rows), "count", "news", self.clock.now())]
        scores = []
        for n, a in enumerate(rows, 1):
            src = f"news ({a.source})"
            out.append(Fact(f"news.{n}.title", "headline", a.title, "headline", src,
                            a.published_at))
            sent = next((x.sentiment for x in a.tickers if x.ticker == t and x.sentiment),
                        None) or a.sentiment
            if sent is not None:
                scores.append(sent.score)
                out += [Fact(f"news.{n}.sentiment", "headline sentiment", sent.label, "text",
                             f"{src} {sent.model}", a.published_at),
                        Fact(f"news.{n}.score", "headline sentiment score",
                             _num(sent.score, 3), "score", f"{src} {sent.model}",
                             a.published_at)]
            if a.events:
                out.append(Fact(f"news.{n}.events", "events detected",
                                ", ".join(e.type for e in a.events), "text", src,
                                a.published_at))
        if scores:
            out.append(Fact("news.mean_score", "mean headline sentiment",
                            _num(sum(scores) / len(scores), 3), "score", "news",
                            self.clock.now()))
        return out

    async def _forecast(self, t: str) -> list[Fact]:
        days = self.s.forecast_days
        f = await self.predict.price(t, days)
        last = f["days"][-1]
        src = f"predict.forecast ({f.get('source', 'ensemble')})"
        at = self.clock.now()
        out = [Fact(f"fc.{k}", f"{days}-day forecast {label}", _num(last.get(k), 2), unit, src,
                    at)
               for k, label, unit in (("point", "price", "price"),
                                      ("lo_95", "95 low", "price"),
                                      ("hi_95", "95 high", "price"),
                                      ("change_pct", "change", "percent"))]
        out.append(Fact("fc.skill", "forecast skill vs naive", f.get("skill"), "text", src, at))
        return [x for x in out if x.value is not None]

    async def _risk(self, t: str) -> list[Fact]:
        r = await self.predict.risk_summary(t)   # the full answer's GARCH and backtests: >1 s
        at = self.clock.now()
        hist = (r.get("var_es") or {}).get("historical", {}).get("95", {}).get("1d", {})
        out = [Fact("risk.var_95_1d", "historical VaR 95 1-day", _num(hist.get("var")),
                    "fraction", "predict.risk", at),
               Fact("risk.es_95_1d", "expected shortfall 95 1-day", _num(hist.get("es")),
                    "fraction", "predict.risk", at),
               Fact("risk.max_drawdown", "max drawdown",
                    _num((r.get("drawdown") or {}).get("max_drawdown")), "fraction",
                    "predict.risk", at)]
        return [x for x in out if x.value is not None]

    async def _signals(self, t: str) -> list[Fact]:
        body = await self.signals.current(t)
        at = datetime.fromisoformat(body["as_of"]) if body.get("as_of") else self.clock.now()
        out = []
        for sig in body.get("signals", []):
            name = str(sig["strategy"])
            src = f"signals {name} ({body.get('interval', '1d')})"
            out.append(Fact(f"sig.{name}.action", f"{name} signal", sig["action"], "text", src,
                            at))
            for key, unit in (("strength", "score"), ("confidence", "fraction")):
                if (v := _num(sig.get(key), 3)) is not None:
                    out.append(Fact(f"sig.{name}.{key}", f"{name} signal {key}", v, unit, src,
                                    at))
        ens = body.get("ensemble") or {}
        if ens.get("action"):
            out.append(Fact("sig.ensemble.action", "ensemble signal", ens["action"], "text",
                            "signals ensemble", at))
        return out
