"""The search box syntax: what people type parses to the AST they mean, and nothing breaks it."""

from __future__ import annotations

import re
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from stockflow.adapters.search.postgres_fts import render_tsquery
from stockflow.adapters.search.sqlite_fts import render_fts5
from stockflow.adapters.search.sqlparts import Params
from stockflow.search.query import MAX_CLAUSES, MAX_QUERY_CHARS, Clause, Term, parse


def test_words_phrases_exclusions_and_or() -> None:
    q = parse('nvidia "data center" -gaming amd OR intel')
    assert q.clauses == (
        Clause((Term("nvidia"),)),
        Clause((Term("data center", phrase=True),)),
        Clause((Term("gaming"),), negated=True),
        Clause((Term("amd"), Term("intel"))),
    )


def test_field_filters_with_aliases_and_several_values() -> None:
    q = parse("ticker:NVDA,amd source:reuters language:en -sentiment:negative chips")
    assert q.filters == {"ticker": ("NVDA", "amd"), "source": ("reuters",), "lang": ("en",)}
    assert q.excluded == {"sentiment": ("negative",)}
    assert q.clauses == (Clause((Term("chips"),)),)


def test_quoted_filter_value() -> None:
    assert parse('sector:"information technology"').filters == {
        "sector": ("information technology",)}


def test_unknown_field_is_plain_words() -> None:
    q = parse("col:foo")
    assert q.filters == {} and q.clauses == (Clause((Term("col:foo"),)),)


def test_stray_operators_and_unbalanced_quotes() -> None:
    assert parse('OR OR - -- * NEAR( ) "').clauses == (Clause((Term("NEAR("),)),)
    assert parse('"unclosed phrase').clauses == (
        Clause((Term("unclosed phrase", phrase=True),)),)
    # OR after an exclusion does not join the exclusion with the next word
    assert parse("-a OR b").clauses == (Clause((Term("a"),), negated=True),
                                       Clause((Term("b"),)))
    assert parse("ticker:").clauses == (Clause((Term("ticker:"),)),)
    assert parse("").clauses == () and parse("   ").filters == {}


def test_control_characters_and_length_are_bounded() -> None:
    q = parse("nv\x00da\x07 chips\u200b")
    assert [t.text for c in q.clauses for t in c.terms] == ["nv", "da", "chips"]
    long = parse("word " * 1000)
    assert long.truncated and len(long.clauses) == MAX_CLAUSES
    assert parse("x" * (MAX_QUERY_CHARS * 3)).truncated


_STRING = re.compile(r'"(?:[^"]|"")*"')


def _fts5_operators_only(expression: str) -> bool:
    """What is left outside the quoted strings may only be FTS5's AND / OR / NOT and brackets."""
    rest = _STRING.sub(" ", expression)
    return re.fullmatch(r"[\s()]*(?:(?:AND|OR|NOT)[\s()]*)*", rest) is not None


hostile = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(['"', "-", "OR", "AND", "NOT", "NEAR(", "*", "^", ":", "col:",
                              "ticker:", "(", ")", "{", "}", "\x00", "+", "中国", "nvda",
                              "'", "\\", "%", "_", " ", "&", "|", "!", "<->", ":*"]),
             max_size=40).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_any_input_parses_and_renders_safely_for_fts5(text: str) -> None:
    q = parse(text)
    positive, negative = render_fts5(q)
    for expression in (positive, negative):
        if expression is not None:
            assert _fts5_operators_only(expression), expression
            assert "\x00" not in expression
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize = 'porter unicode61')")
    db.execute("INSERT INTO t VALUES ('nvidia chips 中国 国银')")
    for expression in (positive, negative):
        if expression is not None:
            db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expression,)).fetchall()


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_any_input_renders_to_bound_parameters_for_postgres(text: str) -> None:
    p = Params()
    positive, negative = render_tsquery(parse(text), p)
    sql = " ".join(e for e in (positive, negative) if e)
    # No user text in the SQL: only phraseto_tsquery calls on :pN parameters and tsquery operators.
    stripped = re.sub(r"phraseto_tsquery\('stockflow_english', :p\d+\)", "", sql)
    assert re.fullmatch(r"[\s()&|!]*", stripped), sql
    assert all("\x00" not in v for v in p.values.values())
