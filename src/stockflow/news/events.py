"""Event classification: multi-label rules with confidence, one rule set per event type.

Each rule is a pattern with the probability that an article matching it really is of that type;
several rules of one type combine as independent evidence: 1 − ∏(1 − pᵢ).
"""

from __future__ import annotations

import re

from stockflow.news.domain import DetectedEvent, EventType

E = EventType


def _words(*alternatives: str) -> str:
    """A word-bounded alternation of English phrases (each may hold regex, e.g. `q[1-4]`)."""
    return r"\b(?:" + "|".join(alternatives) + r")\b"


def _cjk(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"  # no word edges in Chinese or Japanese


_RULES: dict[EventType, tuple[tuple[str, float], ...]] = {
    E.EARNINGS: (
        (_words("earnings", "quarterly results", r"q[1-4] results", "eps", "revenue of",
                "profit rose", "profit fell", "net income", "beats estimates",
                "misses estimates", "tops estimates"), 0.75),
        (_words("quarter", "fiscal", "per share"), 0.3), (_cjk("财报", "季度", "決算", "業績"), 0.8),
        (_words("10-q", "10-k"), 0.6)),
    E.GUIDANCE: (
        (_words("guidance", "outlook", "forecast", r"sees (?:fy|full-year|q[1-4])",
                r"expects (?:revenue|sales|earnings)"), 0.75),
        (_cjk("指引", "预期", "見通し", "予想"), 0.7)),
    E.MERGER_ACQUISITION: (
        (_words(r"acquire[sd]?", "acquisition", "merger", "merge", "takeover", "buyout",
                r"to buy .{0,40} for \$?\d", "deal to buy", "tender offer"), 0.8),
        (_cjk("收购", "并购", "買収", "合併"), 0.85), (_words("sc 13d", "13d", "sc to-t"), 0.6)),
    E.DIVIDEND_BUYBACK: (
        (_words("dividend", "buyback", "share repurchase", "repurchase program", "buy back"),
         0.85), (_cjk("分红", "回购", "配当", "自社株買い"), 0.85)),
    E.PRODUCT_LAUNCH: (
        (_words(r"launch(?:es|ed)?", r"unveil(?:s|ed)?", r"introduc(?:es|ed)", "rolls out",
                r"new (?:chip|model|phone|product|service)", "debut"), 0.7),
        (_cjk("发布", "推出", "発表", "発売"), 0.7)),
    E.LEGAL_REGULATORY: (
        (_words("lawsuit", r"sue[sd]?", "antitrust", "regulator", "probe", "investigation",
                r"settle(?:s|d|ment)", r"fine[sd]?", "sec charges", "fda", "ruling", "court"),
         0.75), (_cjk("诉讼", "监管", "调查", "訴訟", "規制", "当局"), 0.75)),
    E.MANAGEMENT_CHANGE: (
        (_words("ceo", "cfo", "chief executive", "chairman") + r".{0,40}"
         + _words("resign", "resigns", "step down", "steps down", "appointed", "names", "named",
                  "retire", "retires", "successor", "departs"), 0.85),
        (_words("appoints", "names new", "steps down", "resigns"), 0.6),
        (_cjk("辞职", "任命", "首席执行官", "社長", "退任", "就任"), 0.7)),
    E.ANALYST_RATING: (
        (_words(r"upgrade[sd]?", r"downgrade[sd]?", "price target", "initiates coverage",
                r"reiterates?", "overweight", "underweight", "outperform", "underperform",
                "rating"), 0.8), (_cjk("评级", "目标价", "格上げ", "格下げ", "目標株価"), 0.8)),
    E.BANKRUPTCY_RESTRUCTURING: (
        (_words("bankruptcy", "chapter 11", "chapter 7", "insolvency", "restructuring",
                r"default(?:s|ed)? on", "creditors"), 0.85),
        (_cjk("破产", "重组", "破産", "再建"), 0.85)),
    E.PARTNERSHIP_CONTRACT: (
        (_words("partnership", "partners with", "teams up", "contract", "agreement with",
                r"collaborat(?:e|ion)", "joint venture", r"wins .{0,20}deal"), 0.7),
        (_cjk("合作", "合同", "提携", "契約"), 0.7)),
    E.OFFERING_DILUTION: (
        (_words("offering", "share sale", "secondary", r"convertible notes?",
                "private placement", "dilution", "at-the-market", "ipo"), 0.75),
        (_words("s-1", "f-1", r"424b\d"), 0.7), (_cjk("增发", "配股", "公募増資", "新株"), 0.8)),
    E.MACRO: (
        (_words("fed", "federal reserve", r"interest rates?", "inflation", "cpi", "gdp",
                "unemployment", "jobs report", "central bank", "ecb", "boj", "rbi",
                r"tariffs?", "recession", r"treasury yields?"), 0.75),
        (_cjk("美联储", "通胀", "利率", "央行", "日銀", "金利", "インフレ"), 0.75)),
}
_COMPILED = {kind: tuple((re.compile(rx, re.IGNORECASE), p) for rx, p in rules)
             for kind, rules in _RULES.items()}
MIN_CONFIDENCE = 0.5      # below this an event is not reported at all
HIGH_CONFIDENCE = 0.7     # at or above this it is announced (news.event.detected)


def classify(title: str, body: str, hint: EventType | None = None) -> list[DetectedEvent]:
    """Every event type whose combined confidence reaches MIN_CONFIDENCE, most confident first.

    Title matches count fully, body-only matches at 70 %: a body mentions many things in passing.
    A source's own hint (an SEC form type) is taken at 0.95.
    """
    found: list[DetectedEvent] = []
    for kind, rules in _COMPILED.items():
        miss, evidence = 1.0, ""
        for rx, p in rules:
            m = rx.search(title)
            weight = p
            if m is None:
                m = rx.search(body)
                weight = p * 0.7
            if m is not None:
                miss *= 1.0 - weight
                evidence = evidence or m.group(0)
        if hint is kind:
            miss *= 0.05
            evidence = evidence or "source tag"
        confidence = round(1.0 - miss, 3)
        if confidence >= MIN_CONFIDENCE:
            found.append(DetectedEvent(kind, confidence, evidence))
    if hint is not None and all(e.type is not hint for e in found):
        found.append(DetectedEvent(hint, 0.95, "source tag"))
    return sorted(found, key=lambda e: (-e.confidence, e.type.value))
