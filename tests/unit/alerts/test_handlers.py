"""The alerts handler table on SQLite: each consumed topic, in the shape its producer sends,
fires the matching rule once, and the same event delivered again fires nothing more."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import ChannelKind
from stockflow.alerts.evaluator import AlertEvaluator
from stockflow.alerts.handlers import handlers
from stockflow.alerts.ports import InMemoryAlertStateStore
from stockflow.alerts.schemas import AlertCreate, ChannelCreate
from stockflow.alerts.service import AlertRules, TriggerRecorder
from stockflow.alerts.ssrf import StaticResolver, WebhookGuard
from stockflow.core import catalogue as c
from stockflow.core.module import BY_EVENT_ID
from stockflow.testing.fakes import FakeClock

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)

CASES = [
    (c.QUOTE_UPDATED, {"ticker": "AAPL", "price": 250.0},
     {"type": "price_above", "ticker": "AAPL", "level": 200}),
    (c.NEWS_PUBLISHED, {"tickers": ["MSFT", "AAPL"], "title": "Recall", "sentiment": -0.8},
     {"type": "news", "ticker": "AAPL", "sentiment_at_most": -0.5}),
    (c.NEWS_SENTIMENT, {"ticker": "AAPL", "sentiment": {"score": 0.9, "label": "positive"}},
     {"type": "news", "ticker": "AAPL", "sentiment_at_least": 0.5}),
    (c.NEWS_PUBLISHED, {"ticker": "AAPL", "event_types": ["earnings"]},
     {"type": "news", "ticker": "AAPL", "event_type": "earnings"}),
    # The news context's own shape: per-ticker scores under `tickers`.
    (c.NEWS_SENTIMENT, {"article_id": "a1", "ticker": "MSFT", "score": 0.1,
                        "tickers": {"MSFT": {"score": 0.1}, "AAPL": {"score": -0.7}}},
     {"type": "news", "ticker": "AAPL", "sentiment_at_most": -0.5}),
    # The predict context's: a 99 % one-day VaR as a fraction.
    (c.RISK_THRESHOLD, {"ticker": "AAPL", "measure": "historical VaR 99% 1d", "var": 0.071,
                        "threshold": 0.05},
     {"type": "prediction", "ticker": "AAPL", "metric": "var_pct", "op": ">", "value": 5}),
    (c.FINANCIALS_UPDATED, {"ticker": "AAPL", "metrics": {"pe_ratio": 41.0}},
     {"type": "fundamental", "ticker": "AAPL", "metric": "pe_ratio", "op": ">", "value": 40}),
    (c.PREDICTION_GENERATED, {"ticker": "AAPL", "horizon": "5d", "forecast_move_pct": -6.5},
     {"type": "prediction", "ticker": "AAPL", "metric": "forecast_move_pct", "horizon": "5d",
      "op": "<", "value": -5}),
    # The predict context's: a move per horizon beside the next day's.
    (c.PREDICTION_GENERATED, {"ticker": "AAPL", "horizon": "1d", "forecast_move_pct": 0.4,
                              "forecast_move_pct_by_horizon": {"1d": 0.4, "5d": 3.5}},
     {"type": "prediction", "ticker": "AAPL", "metric": "forecast_move_pct", "horizon": "5d",
      "op": ">", "value": 3}),
    (c.RISK_THRESHOLD, {"ticker": "AAPL", "horizon": "1d", "var_pct": 7.2},
     {"type": "prediction", "ticker": "AAPL", "metric": "var_pct", "op": ">=", "value": 5}),
    (c.SIGNAL_GENERATED, {"ticker": "AAPL", "strategy": "trend", "action": "buy",
                          "strength": 0.6, "confidence": 0.7, "interval": "1d",
                          "bar_time": "2026-11-30T21:00:00+00:00"},
     {"type": "signal", "ticker": "AAPL", "name": "trend", "direction": "long"}),
    (c.SIGNAL_GENERATED, {"ticker": "AAPL", "name": "golden_cross", "direction": "long"},
     {"type": "signal", "ticker": "AAPL", "name": "golden_cross"}),
    (c.SIGNAL_GENERATED, {"ticker": "AAPL", "name": "rsi", "direction": "short",
                          "indicators": {"rsi(length=14)@1d": 75.0}},
     {"type": "indicator", "ticker": "AAPL", "name": "rsi", "params": {"length": 14},
      "op": ">", "value": 70}),
    (c.STATUS_CHANGED, {"exchange": "XNYS", "state": "open", "previous_state": "closed"},
     {"type": "market_status", "exchange": "XNYS", "on": "open"}),
]


async def _table(repo, condition):
    rules = AlertRules(repo, AlertsSettings(), FakeClock(T0), WebhookGuard(StaticResolver({})))
    channel, _ = await rules.add_channel(
        "u1", ChannelCreate(kind=ChannelKind.PUSH, target="ntfy://ntfy.sh/stockflow"))
    rule = await rules.create("u1", "pro", AlertCreate.model_validate(
        {"channel_ids": [channel.id], "condition": condition,
         "policy": {"mode": "recurring", "cooldown_seconds": 0}}))
    ev = AlertEvaluator(InMemoryAlertStateStore())
    await ev.add_rules(await repo.active_rules())
    return rules, rule, {s.topic: s for s in handlers(TriggerRecorder(ev, repo))}


@pytest.mark.parametrize(("topic", "data", "condition"), CASES,
                         ids=[f"{t.name}-{cond['type']}" for t, _, cond in CASES])
async def test_each_topic_fires_its_rule_once(repo, topic, data, condition):
    rules, rule, table = await _table(repo, condition)
    spec = table[topic]
    event = topic.event(data, key=data.get("ticker") or data.get("exchange"))
    for _ in range(2):    # the second is the bus redelivering the same event
        await spec.handler([event] if spec.batch else event)
    history = await rules.history("u1", rule.id)
    assert [h["event_id"] for h in history] == [event.id]
    assert len(history[0]["deliveries"]) == 1


async def test_events_that_match_no_rule_or_lack_fields_fire_nothing(repo):
    rules, rule, table = await _table(repo, CASES[0][2])
    quote = table[c.QUOTE_UPDATED]
    for data in ({"ticker": "AAPL", "price": 150.0}, {"ticker": "AAPL"},
                 {"price": 300.0}, {"ticker": "AAPL", "price": "300"}):
        await quote.handler([c.QUOTE_UPDATED.event(data)])
    await table[c.STATUS_CHANGED].handler(c.STATUS_CHANGED.event({"exchange": "XNYS",
                                                                 "state": "open"}))
    assert await rules.history("u1", rule.id) == []


def test_every_handler_states_its_idempotency_and_the_group_is_alerts():
    ev = AlertEvaluator(InMemoryAlertStateStore())
    specs = handlers(TriggerRecorder(ev, None))  # type: ignore[arg-type]
    assert {s.topic for s in specs} == {t for t, _, _ in CASES}
    assert all(s.group == "alerts" and s.idempotency and s.idempotency != BY_EVENT_ID
               for s in specs)


async def test_handlers_wait_until_the_index_is_loaded(repo):
    ready = asyncio.Event()
    rules, rule, _ = await _table(repo, CASES[0][2])
    ev = AlertEvaluator(InMemoryAlertStateStore())
    spec = next(s for s in handlers(TriggerRecorder(ev, repo), ready)
                if s.topic is c.QUOTE_UPDATED)
    event = c.QUOTE_UPDATED.event({"ticker": "AAPL", "price": 250.0})
    handled = asyncio.create_task(spec.handler([event]))
    await asyncio.sleep(0.05)
    assert not handled.done()           # an empty index would have swallowed the quote
    await ev.add_rules(await repo.active_rules())
    ready.set()
    await handled
    assert [h["event_id"] for h in await rules.history("u1", rule.id)] == [event.id]
