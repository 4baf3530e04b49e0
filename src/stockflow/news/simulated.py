"""Simulated news: deterministic per seed, in three languages, tied to the simulated market.

A big move of the simulated price (a jump day) gets a story written by every source in its own
words, so de-duplication has clusters to find; so does each quarter's results, on the day they
are filed, quoting the figures of the analysis context (the simulated fundamentals when those
are on); between them, background stories keep at least `per_minute` articles a minute flowing
across the universe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from stockflow.analysis.domain import QuarterResult
from stockflow.news.catalog import EXTRA_ALIASES, CatalogEntry, short_name
from stockflow.news.domain import EventType, RawArticle
from stockflow.news.simulated_templates import (
    BACKGROUND,
    DOWN,
    MOVE_EN,
    MOVE_JA,
    MOVE_ZH,
    RESULTS_EN,
    RESULTS_JA,
    RESULTS_VERDICT_EN,
    RESULTS_ZH,
    SOURCE_JA,
    SOURCE_ZH,
    SOURCES_EN,
    UP,
)


@dataclass(frozen=True, slots=True)
class Move:
    """A simulated session whose close-to-close return was large (the model's jump days)."""

    ticker: str
    day: date
    ret: float  # simple return of the session


def _names(entry: CatalogEntry) -> dict[str, str]:
    zh = EXTRA_ALIASES.get(f"{entry.ticker}@zh", (entry.ticker,))[0]
    ja = EXTRA_ALIASES.get(f"{entry.ticker}@ja", (entry.ticker,))[0]
    return {"name": short_name(entry.name), "short": short_name(entry.name).split()[0],
            "ticker": entry.ticker, "zh": zh, "ja": ja}


def _url(source: str, day: date, slug: str) -> str:
    host = "".join(c for c in source.lower() if c.isascii() and c.isalnum()) or "sim"
    digest = hashlib.sha256(f"{source}|{slug}".encode()).hexdigest()[:10]
    return f"https://{host}.news.example/{day:%Y/%m/%d}/{digest}"


class SimulatedNews:
    def __init__(self, seed: int, catalog: Sequence[CatalogEntry]) -> None:
        self.seed = seed
        self.catalog = [e for e in catalog if not e.ticker.startswith(("SPY", "QQQ", "IWM", "DIA"))]

    def _rng(self, *parts: object) -> np.random.Generator:
        key = hashlib.sha256(repr((self.seed, *parts)).encode()).digest()[:8]
        return np.random.default_rng(int.from_bytes(key, "big"))

    def move_story(self, move: Move, at: datetime) -> list[RawArticle]:
        """The same story from every source: three English wordings, one Chinese, one Japanese."""
        entry = next((e for e in self.catalog if e.ticker == move.ticker), None)
        if entry is None:
            return []
        side = UP if move.ret > 0 else DOWN
        values = {**_names(entry), "pct": f"{abs(move.ret) * 100:.1f}", "day": f"{move.day:%B %d}"}
        headlines, body = MOVE_EN[side]
        slug = f"move|{move.ticker}|{move.day}"
        out = []
        for n, (source, headline) in enumerate(zip(SOURCES_EN, headlines, strict=True)):
            # Own headline and sign-off over shared wire copy: near, not exact, duplicates.
            text = " ".join(s.format(**values) for s in body)
            out.append(RawArticle(
                source=source, url=_url(source, move.day, slug), title=headline.format(**values),
                body=f"{text} {source} reporting.",
                published_at=at + timedelta(minutes=3 * n), language="en",
                tickers=(move.ticker,)))
        for source, text, lang in ((SOURCE_ZH, MOVE_ZH[side], "zh"), (SOURCE_JA, MOVE_JA[side], "ja")):
            line = text.format(**values)
            out.append(RawArticle(source=source, url=_url(source, move.day, slug), title=line,
                                  body=line, published_at=at + timedelta(minutes=10),
                                  language=lang, tickers=(move.ticker,)))
        return out

    def results_story(self, result: QuarterResult, at: datetime) -> list[RawArticle]:
        """A quarter's results from every source, quoting its revenue and diluted EPS and the
        change against the same quarter a year before; [] for a quarter with no revenue."""
        entry = next((e for e in self.catalog if e.ticker == result.ticker), None)
        if entry is None or result.revenue is None or result.eps is None:
            return []
        values = {**_names(entry), **results_values(result)}
        headlines, body = RESULTS_EN
        slug = f"results|{result.ticker}|{result.end}"
        text = " ".join(s.format(**values) for s in body)
        out = [RawArticle(source=source, url=_url(source, at.date(), slug),
                          title=headline.format(**values), body=f"{text} {source} reporting.",
                          published_at=at + timedelta(minutes=2 * n), language="en",
                          tickers=(result.ticker,), event_hint=EventType.EARNINGS)
               for n, (source, headline) in enumerate(zip(SOURCES_EN, headlines, strict=True))]
        for source, template, lang in ((SOURCE_ZH, RESULTS_ZH, "zh"), (SOURCE_JA, RESULTS_JA, "ja")):
            line = template.format(**values)
            out.append(RawArticle(source=source, url=_url(source, at.date(), slug), title=line,
                                  body=line, published_at=at + timedelta(minutes=8),
                                  language=lang, tickers=(result.ticker,),
                                  event_hint=EventType.EARNINGS))
        return out

    def background(self, at: datetime, k: int = 0) -> RawArticle:
        """The k-th background article of the minute holding `at` (same seed, same article)."""
        minute = int(at.timestamp() // 60)
        g = self._rng("bg", minute) if k == 0 else self._rng("bg", minute, k)
        entry = self.catalog[int(g.integers(len(self.catalog)))]
        _, headline, body, zh, ja = BACKGROUND[int(g.integers(len(BACKGROUND)))]
        values = _names(entry)
        lang = ("en", "en", "en", "zh", "ja")[int(g.integers(5))]
        title, text, source = {
            "en": (headline, body, SOURCES_EN[int(g.integers(len(SOURCES_EN)))]),
            "zh": (zh, zh, SOURCE_ZH), "ja": (ja, ja, SOURCE_JA)}[lang]
        when = at.replace(second=int(g.integers(60)), microsecond=0)
        slug = f"bg|{minute}|{lang}" + (f"|{k}" if k else "")
        return RawArticle(source=source, url=_url(source, when.date(), slug),
                          title=title.format(**values), body=text.format(**values),
                          published_at=when, language=lang, tickers=(entry.ticker,))

    def between(self, start: datetime, end: datetime, moves: Sequence[Move] = (),
                per_minute: int = 1) -> Iterator[RawArticle]:
        """Every article published in [start, end): background each minute, stories on moves."""
        by_day: dict[date, list[Move]] = {}
        for move in moves:
            by_day.setdefault(move.day, []).append(move)
        t = start.replace(second=0, microsecond=0)
        while t < end:
            for k in range(per_minute):
                article = self.background(t, k)
                if start <= article.published_at < end:
                    yield article
            if t.hour == 13 and t.minute == 0:  # stories on a jump day break at 13:00 UTC
                for move in by_day.get(t.date(), ()):
                    yield from (a for a in self.move_story(move, t) if a.published_at < end)
            t += timedelta(minutes=1)


def money(amount: float, currency: str) -> str:
    """1234567890 USD → "USD 1.23 billion" (the form the results stories quote)."""
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(amount) >= scale:
            return f"{currency} {amount / scale:.2f} {word}"
    return f"{currency} {amount:,.0f}"


def results_values(r: QuarterResult) -> dict[str, str]:
    """The figures of a results story, formatted: revenue, EPS, the year-before ones, the change."""
    cur = r.currency
    rev, eps = r.revenue or 0.0, r.eps or 0.0
    out = {"q": str(r.fiscal_quarter), "fy": str(r.fiscal_year), "end": f"{r.end:%B %d, %Y}",
           "filed": f"{r.reported:%B %d, %Y}", "rev": money(rev, cur), "eps": f"{eps:.2f}",
           "prior_rev": "no comparable figure", "prior_eps": "n/a", "change": "reported",
           "change_zh": "无可比数据", "change_ja": "比較なし",
           "verdict": RESULTS_VERDICT_EN[True] if r.prior_eps is None else
           RESULTS_VERDICT_EN[eps > r.prior_eps]}
    if r.prior_eps is not None:
        out["prior_eps"] = f"{r.prior_eps:.2f}"
    if r.prior_revenue:
        pct = (rev / r.prior_revenue - 1) * 100
        out |= {"prior_rev": money(r.prior_revenue, cur),
                "change": f"{'up' if pct >= 0 else 'down'} {abs(pct):.1f}%",
                "change_zh": f"{'增长' if pct >= 0 else '下降'}{abs(pct):.1f}%",
                "change_ja": f"{abs(pct):.1f}%{'増' if pct >= 0 else '減'}"}
    return out


def big_moves(closes: Sequence[float], days: Sequence[date], ticker: str,
              daily_vol: float, k: float = 3.0) -> list[Move]:
    """Sessions whose return exceeds k daily standard deviations: the model's jump days."""
    out = []
    for i in range(1, len(closes)):
        ret = closes[i] / closes[i - 1] - 1.0
        if abs(ret) > k * daily_vol:
            out.append(Move(ticker, days[i], ret))
    return out
