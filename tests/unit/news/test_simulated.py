"""Simulated news: deterministic per seed, three languages, one article a minute, tied to moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from stockflow.adapters.news.simulated.moves import moves_from_model
from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.adapters.providers.simulated.universe import default_universe
from stockflow.market.calendar import MarketCalendars
from stockflow.news.catalog import build_catalog
from stockflow.news.simulated import Move, SimulatedNews, big_moves

T0 = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(listing.instrument for listing in default_universe())


def test_same_seed_same_news_other_seed_other_news(catalog):
    window = (T0, T0 + timedelta(hours=2))
    a = [x.url for x in SimulatedNews(1, catalog).between(*window)]
    b = [x.url for x in SimulatedNews(1, catalog).between(*window)]
    c = [x.title for x in SimulatedNews(2, catalog).between(*window)]
    assert a == b and c != [x.title for x in SimulatedNews(1, catalog).between(*window)]
    assert len(a) >= 120  # at least one a minute


def test_three_languages_appear(catalog):
    langs = {x.language for x in SimulatedNews(5, catalog).between(T0, T0 + timedelta(hours=1))}
    assert langs == {"en", "zh", "ja"}


def test_jump_day_gets_a_story_from_every_source(catalog):
    move = Move("TSLA", T0.date(), -0.09)
    day = datetime.combine(T0.date(), datetime.min.time(), UTC)
    articles = list(SimulatedNews(5, catalog).between(day + timedelta(hours=12, minutes=55),
                                                      day + timedelta(hours=14), [move]))
    story = [a for a in articles if "9.0%" in a.title or "9.0" in a.title]
    assert len({a.source for a in story}) == 5
    assert all(a.tickers == ("TSLA",) for a in story)


def test_big_moves_threshold():
    days = [date(2026, 1, d) for d in range(5, 9)]
    moves = big_moves([100, 101, 90, 90.5], days, "X", daily_vol=0.02)
    assert moves == [Move("X", date(2026, 1, 7), pytest.approx(-0.1089, abs=1e-3))]


def test_moves_come_from_the_price_model():
    model = PriceModel(42, MarketCalendars(today=date(2026, 11, 22)))
    moves = moves_from_model(model, date(2025, 1, 1), date(2026, 1, 1))
    assert moves and len(moves) < 500
    m = moves[0]
    bars = model.daily(m.ticker, date(2024, 12, 1), m.day + timedelta(days=1))
    assert abs(float(bars.close[-1]) / float(bars.close[-2]) - 1 - m.ret) < 1e-9
