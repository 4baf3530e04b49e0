"""Entity extraction by rules: tickers (cashtags, exchange prefixes, names, aliases), people, products.

Names are matched through one compiled alternation per catalogue, so a text is scanned once
whatever the size of the universe. spaCy is not needed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from stockflow.news.catalog import CatalogEntry
from stockflow.news.domain import NamedEntity, TickerMention

_EXCHANGES = r"NASDAQ|NYSE|NYSEARCA|NYSE\s?ARCA|AMEX|NSE|BSE|LSE|TSX|OTC|XNAS|XNYS|XNSE"
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9.\-]{0,11})\b")
_PREFIXED = re.compile(rf"\b(?:{_EXCHANGES})\s?:\s?([A-Z][A-Z0-9.\-]{{0,11}})\b", re.IGNORECASE)
_PAREN = re.compile(r"\(([A-Z][A-Z0-9.\-]{0,11})\)")
_BARE = re.compile(r"\b([A-Z][A-Z0-9]{2,11})\b")
# Upper-case words that are tickers in the universe but usually mean something else.
_BARE_STOPWORDS = frozenset({"CEO", "CFO", "USA", "GDP", "ETF", "IPO", "SEC", "FDA", "EPS", "ALL",
                             "CAT", "ITC", "LOW", "ONE", "NOW", "BIG", "AI"})
_ROLES = (r"CEO|CFO|COO|CTO|chief executive(?: officer)?|chief financial officer|chairman|"
          r"chairwoman|chair|founder|co-founder|president|analyst|director|minister|governor")
_NAME = r"[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){1,2}"
_PERSON_AFTER_ROLE = re.compile(rf"\b(?:{_ROLES})\s*,?\s+({_NAME})")
_PERSON_BEFORE_ROLE = re.compile(rf"\b({_NAME}),\s+(?:the\s+)?(?:company's\s+)?(?:{_ROLES})\b",
                                 re.IGNORECASE)
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Dr)\.?\s+([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
_PRODUCT = re.compile(
    r"\b([ie][A-Z][a-z]+(?: (?:\d+|Pro|Max|Air|Mini))*"       # iPhone 17 Pro, iPad Air
    r"|[A-Z][a-z]+ (?:\d{1,3}|[A-Z]\d{1,3})(?: Pro| Max| Ultra)?"  # Model 3, Galaxy S24
    r"|[A-Z]{1,3}\d{2,4}[A-Za-z]?)\b")                         # H100, B200, M4
_RELEVANCE_SATURATION = 3.0  # mentions beyond three add little


class EntityExtractor:
    """Finds catalogue tickers and rule-based people/products in a title and body."""

    def __init__(self, catalog: Iterable[CatalogEntry]) -> None:
        self._tickers: dict[str, str] = {}
        names: dict[str, str] = {}
        for entry in catalog:
            self._tickers[entry.ticker.upper()] = entry.ticker
            base = entry.ticker.split("-")[0].upper()
            self._tickers.setdefault(base, entry.ticker)  # $BTC means BTC-USD
            for alias in entry.aliases:
                names[alias.casefold()] = entry.ticker
        self._names = names
        # Longest first, so "Bank of America" wins over "America"; word edges only for Latin.
        ordered = sorted(names, key=len, reverse=True)
        latin = "|".join(re.escape(n) for n in ordered if n.isascii()) or r"(?!x)x"
        # Chinese and Japanese have no spaces: a name is found wherever it stands.
        cjk = "|".join(re.escape(n) for n in ordered if not n.isascii()) or r"(?!x)x"
        self._name_re = re.compile(rf"(?<![\w&])({latin})(?![\w&])|({cjk})", re.IGNORECASE)

    def _symbol(self, raw: str) -> str | None:
        return self._tickers.get(raw.upper().rstrip("."))

    def _hits(self, text: str) -> list[tuple[str, str]]:
        hits: list[tuple[str, str]] = []
        for rx, label in ((_CASHTAG, "${}"), (_PREFIXED, "{}"), (_PAREN, "({})")):
            for m in rx.finditer(text):
                ticker = self._symbol(m.group(1))
                if ticker:
                    hits.append((ticker, label.format(m.group(1).upper())))
        for m in _BARE.finditer(text):
            ticker = self._symbol(m.group(1))
            if ticker and m.group(1) not in _BARE_STOPWORDS and m.start() > 0 \
                    and text[m.start() - 1] not in "$:(":
                hits.append((ticker, m.group(1)))
        for m in self._name_re.finditer(text):
            found = m.group(1) or m.group(2)
            hits.append((self._names[found.casefold()], found))
        return hits

    def tickers(self, title: str, body: str, tagged: Sequence[str] = ()) -> list[TickerMention]:
        """Each ticker with a relevance in (0, 1]: title mentions weigh double, the source's own
        tags count as one mention, and the score is relative to the most-mentioned ticker."""
        weight: dict[str, float] = defaultdict(float)
        forms: dict[str, set[str]] = defaultdict(set)
        for ticker, form in self._hits(title):
            weight[ticker] += 2.0
            forms[ticker].add(form)
        for ticker, form in self._hits(body):
            weight[ticker] += 1.0
            forms[ticker].add(form)
        for raw in tagged:
            ticker = self._symbol(raw) or raw.upper()
            weight[ticker] += 1.0
            forms[ticker].add(raw)
        if not weight:
            return []
        top = max(weight.values())
        mentions = [TickerMention(t, round(min(1.0, w / top) * min(1.0, w / _RELEVANCE_SATURATION)
                                           ** 0.5, 3), tuple(sorted(forms[t])))
                    for t, w in weight.items()]
        return sorted(mentions, key=lambda m: (-m.relevance, m.ticker))

    def people_and_products(self, text: str) -> list[NamedEntity]:
        people = {m.group(1) for rx in (_PERSON_AFTER_ROLE, _PERSON_BEFORE_ROLE, _HONORIFIC)
                  for m in rx.finditer(text)}
        products = {m.group(1) for m in _PRODUCT.finditer(text)
                    if m.group(1).casefold() not in self._names and not _is_ticker_like(m.group(1))}
        return ([NamedEntity("person", p) for p in sorted(people)]
                + [NamedEntity("product", p) for p in sorted(products)])


def _is_ticker_like(token: str) -> bool:
    # "Q3 2025", "FY2026", "H1": periods, not products.
    return bool(re.fullmatch(r"(?:Q[1-4]|H[12]|FY)\d{0,4}", token))
