"""The Tantivy index's schema, its text analyzer, and the query a SearchRequest becomes.

Every query is built from Query objects (term, phrase, range, boolean), never through Tantivy's
query-string parser, so nothing a user types is read as syntax; user words are cut into tokens
by the same analyzer the index uses.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import tantivy
from tantivy import FieldType, Occur, Query

from stockflow.search.domain import COLUMN_FILTERS, DocType, SearchRequest, normalise_filter
from stockflow.search.query import Clause, Term
from stockflow.search.text import index_text

TEXT_ANALYZER = "stockflow_text"
# Tantivy keeps dates as nanoseconds in an i64 (about 1677 to 2262); beyond, the nearest end.
_EARLIEST = datetime(1677, 9, 22, tzinfo=UTC)
_LATEST = datetime(2262, 4, 10, tzinfo=UTC)
# Title and keywords (tickers, aliases) weigh ten times the body, as on FTS5 and PostgreSQL.
TEXT_FIELDS = (("title", 10.0), ("keywords", 10.0), ("body", 1.0))
# One value a document, lower-case (as the SQL engines store them); `type` is doc_type.
COLUMN_FIELDS = tuple("doc_type" if c == "type" else c for c in COLUMN_FILTERS)
TAG_FIELDS = {"ticker": "tickers", "event_type": "event_types"}


def text_analyzer() -> tantivy.TextAnalyzer:
    """Words, lower-cased, accents folded, English (Porter 2) stems: what FTS5's `porter
    unicode61 remove_diacritics 2` and PostgreSQL's english configuration do. CJK runs arrive as
    space-separated bigrams (text.index_text)."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(64))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=False, tokenizer_name="raw", index_option="basic")
    # the id alone, for a reindex's pages in id order (tantivy_documents.ids_after)
    sb.add_text_field("doc_id", stored=False, tokenizer_name="raw", fast=True,
                      index_option="basic")
    for name, _ in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name=TEXT_ANALYZER,
                          index_option="position")
    for name in (*COLUMN_FIELDS, *TAG_FIELDS.values()):
        sb.add_text_field(name, stored=False, tokenizer_name="raw", fast=True,
                          index_option="basic")
    sb.add_date_field("published", indexed=True, fast=True)
    sb.add_date_field("news_published", fast=True)   # the histogram counts news only
    # Order of first indexing: unique, the tie-break after the score and the reindex order.
    sb.add_unsigned_field("seq", indexed=True, fast=True)
    sb.add_integer_field("story", fast=True)          # a hash of the story key: collapsing
    # Tantivy multiplies a score by log2(2 + weight); weight = 2^(1 + boost) - 2 makes that
    # the (1 + boost) of the SQL engines.
    sb.add_float_field("weight", fast=True)
    sb.add_float_field("recency", fast=True)          # published epoch + boost: no-text order
    # The document as the SQL engines store it (JSON): stored only, never a term.
    sb.add_bytes_field("doc", stored=True, indexed=False, fast=False)
    return sb.build()


def story_hash(story_key: str) -> int:
    return int.from_bytes(hashlib.blake2b(story_key.encode(), digest_size=8).digest(),
                          "big", signed=True)


def weight(boost: float) -> float:
    return 2.0 ** (1.0 + boost) - 2.0


class QueryBuilder:
    """SearchRequest -> Tantivy Query, for one index's schema and analyzer."""

    def __init__(self, schema: tantivy.Schema, analyzer: tantivy.TextAnalyzer) -> None:
        self.schema = schema
        self.analyzer = analyzer

    def tokens(self, text: str) -> list[str]:
        return self.analyzer.analyze(index_text(text))

    def build(self, request: SearchRequest) -> tuple[Query, bool]:
        """The query and whether it has words (ranked by relevance; else by recency)."""
        must: list[Query] = []
        must_not: list[Query] = []
        for clause in request.query.positive:
            must.append(self._clause(clause))
        for clause in request.query.negative:
            must_not.append(self._clause(clause))
        has_text = bool(request.query.positive)
        for source, negate in ((request.filters, False), (request.query.filters, False),
                               (request.query.excluded, True)):
            for name, values in source.items():
                if values:
                    (must_not if negate else must).append(self._filter(name, values))
        if request.published_from is not None or request.published_to is not None:
            within = Query.range_query(
                self.schema, "published", FieldType.Date, utc(request.published_from),
                utc(request.published_to, upper=True), include_upper=request.published_to is None)
            must.append(Query.const_score_query(within, 0.0))
        if request.news_before is not None:
            must.append(Query.const_score_query(self._news_before(request.news_before), 0.0))
        if not must:
            must.append(Query.all_query())
        parts = [(Occur.Must, q) for q in must] + [(Occur.MustNot, q) for q in must_not]
        if len(parts) == 1 and has_text:
            return parts[0][1], True
        return Query.boolean_query(parts), has_text

    def _clause(self, clause: Clause) -> Query:
        alternatives = [q for t in clause.terms if (q := self._term(t)) is not None]
        return _any_of(alternatives) if alternatives else Query.empty_query()

    def _term(self, term: Term) -> Query | None:
        """A term in every text field, each with its weight; several tokens are a phrase. None
        when the term holds no token (nothing to match)."""
        tokens = self.tokens(term.text)
        if not tokens:
            return None
        fields = []
        for name, boost in TEXT_FIELDS:
            if len(tokens) == 1:
                q = Query.term_query(self.schema, name, tokens[0], index_option="freq")
            else:
                q = Query.phrase_query(self.schema, name, tokens)
            fields.append(Query.boost_query(q, boost))
        return _any_of(fields)

    def _filter(self, name: str, values: tuple[str, ...]) -> Query:
        if name in COLUMN_FILTERS:
            field = "doc_type" if name == "type" else name
        elif name in TAG_FIELDS:
            field = TAG_FIELDS[name]
        else:
            raise ValueError(f"unknown filter field {name!r}")
        norm = sorted({normalise_filter(name, v) for v in values})
        if name == "type":
            norm = [v for v in norm if v in {t.value for t in DocType}] or ["-"]
        # Term queries (a union of them for several values), which an intersection seeks into
        # by their skip lists; a term-set query collects every document of its values first
        # (1 M for type:news, twice the cost of the whole search). Score 0: filters never rank.
        terms = [Query.term_query(self.schema, field, v) for v in norm]
        return Query.const_score_query(_any_of(terms), 0.0)

    def _news_before(self, moment: datetime) -> Query:
        # not news, or news published before the embargo (undated news is left out)
        not_news = Query.boolean_query([
            (Occur.Must, Query.all_query()),
            (Occur.MustNot, Query.term_query(self.schema, "doc_type", DocType.NEWS.value))])
        early = Query.range_query(self.schema, "published", FieldType.Date, None,
                                  utc(moment, upper=True),
                                  include_upper=False)
        return Query.boolean_query([(Occur.Should, not_news), (Occur.Should, early)])


def _any_of(queries: list[Query]) -> Query:
    """The one query, or a union of several (at least one given)."""
    return queries[0] if len(queries) == 1 else Query.boolean_query(
        [(Occur.Should, q) for q in queries])


def utc(moment: datetime | None, *, upper: bool = False) -> datetime | None:
    """UTC, whole seconds (the index keeps dates to the second, as the SQL engines' epochs do),
    within the dates Tantivy can hold; an exclusive `upper` bound may be a second past the last,
    so that it still takes in the dates held there."""
    if moment is None:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    latest = _LATEST + timedelta(seconds=1) if upper else _LATEST
    return min(max(moment.replace(microsecond=0), _EARLIEST), latest)
