"""The alerts context's handler table: the topics that feed the evaluator.

Every handler is idempotent by (rule, triggering event id): the firing's history row has a
unique key on (alert_id, event_id) and `record_trigger` writes nothing when it exists, and a
rule's state remembers its recent event ids, so a redelivered event neither notifies nor moves
a rule twice. That is why no handler asks the idempotency store to wrap it.

What the handlers read from other contexts' events (extra fields are ignored; an event without
what a handler needs is skipped, not dead-lettered, since no rule could match it):
- `market.quote.updated`: `ticker`, `price`, optional `volume` (the session's volume).
- `news.article.published` / `news.sentiment.analyzed`: `ticker` and `tickers` (a list, or
  {ticker: {"score"}}), the sentiment from `tickers[t].score`, else `sentiment` or `score`;
  optional `event_types`; `title` and `url` for digests.
- `financials.updated`: `ticker`, numbers by metric name in `metrics` (or at the top level):
  the analysis context sends its ratio names and line-item names of the newest period.
- `prediction.generated`: `ticker`, `horizon`, `forecast_move_pct` (or in `metrics`), and
  `forecast_move_pct_by_horizon` ({"1d": …, "7d": …}: what the predict context sends).
- `risk.threshold.exceeded`: `ticker`, `horizon` (default 1d), `var_pct`, or `var` as a
  fraction.
- `signal.generated`: `ticker`, `strategy` and `action` (buy / sell / hold: a rule's long /
  short), or `name` and `direction`; optional `indicators`
  (numbers by the canonical metric, e.g. `rsi(length=14)@1d`) for indicator rules.
- `market.status.changed`: `exchange`, `state` (`open` / `closed`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from stockflow.alerts.conditions import Source
from stockflow.alerts.evaluator import QuoteSeen
from stockflow.alerts.service import TriggerRecorder
from stockflow.core.catalogue import (
    FINANCIALS_UPDATED,
    NEWS_PUBLISHED,
    NEWS_SENTIMENT,
    PREDICTION_GENERATED,
    QUOTE_UPDATED,
    RISK_THRESHOLD,
    SIGNAL_GENERATED,
    STATUS_CHANGED,
    Topic,
)
from stockflow.core.events import Event
from stockflow.core.module import HandlerSpec

GROUP = "alerts"
IDEMPOTENT = ("de-duplicated by (rule, triggering event id): a unique key on the history row "
              "and the rule state's recent event ids")
# The signal engine says buy / sell / hold; a rule says long / short.
_DIRECTION = {"buy": "long", "sell": "short", "hold": "flat"}
_STATUS = {"open": "open", "opened": "open", "closed": "close", "close": "close"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _tickers(data: Mapping[str, Any]) -> list[str]:
    one = data.get("ticker")
    many = data.get("tickers")
    found = [one] if isinstance(one, str) else []
    if isinstance(many, list | dict):     # a list, or {ticker: per-ticker sentiment}
        found += [t for t in many if isinstance(t, str) and t not in found]
    return found


def _numbers(data: Mapping[str, Any], names: Iterable[str] | None = None,
             nested: str = "metrics", suffix: str = "") -> dict[str, float]:
    """Finite numbers of the event by name: from `nested` and, if `names`, the top level."""
    out: dict[str, float] = {}
    inner = data.get(nested)
    sources = [inner] if isinstance(inner, dict) else []
    for source in sources + [data]:
        for name, value in source.items():
            if (source is data and (names is None or name not in names)) or not isinstance(
                    name, str):
                continue
            number = _number(value)
            if number is not None:
                out.setdefault(name + suffix, number)
    return out


def _sentiment(data: Mapping[str, Any], ticker: str | None = None) -> float | None:
    """The ticker's own score when the event has one per ticker, else the article's."""
    per = data.get("tickers")
    if isinstance(per, dict) and isinstance(per.get(ticker), dict):
        return _number(per[ticker].get("score"))
    raw = data.get("sentiment", data.get("score"))
    if isinstance(raw, dict):
        raw = raw.get("score")
    return _number(raw)


def quote_of(event: Event) -> QuoteSeen | None:
    d = event.data
    price = _number(d.get("price"))
    if not isinstance(d.get("ticker"), str) or price is None:
        return None
    return QuoteSeen(d["ticker"], price, _number(d.get("volume")), event.id, event.time)


def _horizon(d: Mapping[str, Any]) -> str:
    return f"@{d.get('horizon', '1d')}"


def _forecasts(d: Mapping[str, Any]) -> dict[str, float]:
    found = _numbers(d, names=("forecast_move_pct",), suffix=_horizon(d))
    by_horizon = d.get("forecast_move_pct_by_horizon")
    for horizon, value in by_horizon.items() if isinstance(by_horizon, dict) else ():
        number = _number(value)
        if isinstance(horizon, str) and number is not None:
            found.setdefault(f"forecast_move_pct@{horizon}", number)
    return found


def _risks(d: Mapping[str, Any]) -> dict[str, float]:
    found = _numbers(d, names=("var_pct",), suffix=_horizon(d))
    var = _number(d.get("var"))      # the predict context sends VaR as a fraction
    if not found and var is not None:
        found[f"var_pct{_horizon(d)}"] = var * 100.0
    return found


class AlertHandlers:
    """The handlers, each feeding the recorder. `remember_news` keeps each article's headline
    for digests (keyed by event id, so a redelivery stores nothing twice)."""

    def __init__(self, recorder: TriggerRecorder,
                 remember_news: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None
                 ) -> None:
        self.recorder = recorder
        self.remember_news = remember_news

    async def on_quotes(self, events: list[Event]) -> None:
        quotes = [q for q in map(quote_of, events) if q is not None]
        if quotes:
            await self.recorder.on_quotes(quotes)

    async def on_news(self, event: Event) -> None:
        d = event.data
        types = [t for t in d.get("event_types") or () if isinstance(t, str)]
        if self.remember_news is not None and isinstance(d.get("title"), str):
            await self.remember_news([
                {"event_id": f"{event.id}:{t}", "ticker": t, "title": d["title"][:500],
                 "url": str(d.get("url", ""))[:2048], "sentiment": _sentiment(d, t),
                 "seen_at": event.time} for t in _tickers(d)])
        for ticker in _tickers(d):
            await self.recorder.on_event(Source.NEWS, ticker, event.id, event.time,
                                         sentiment=_sentiment(d, ticker), event_types=types)

    def values_of(self, read: Callable[[Mapping[str, Any]], dict[str, float]]
                  ) -> Callable[[Event], Awaitable[None]]:
        async def on_values(event: Event) -> None:
            values = read(event.data)
            for ticker in _tickers(event.data) if values else ():
                await self.recorder.on_values(ticker, values, event.id, event.time)
        return on_values

    async def on_signal(self, event: Event) -> None:
        d = event.data
        name = d.get("strategy") or d.get("name") or d.get("signal")
        action = str(d.get("action") or d.get("direction") or "")
        for ticker in _tickers(d):
            if isinstance(name, str):
                await self.recorder.on_event(Source.SIGNAL, ticker, event.id, event.time,
                                             name=name, direction=_DIRECTION.get(action, action))
            indicators = _numbers(d, names=(), nested="indicators")
            if indicators:
                await self.recorder.on_values(ticker, indicators, event.id, event.time)

    async def on_status(self, event: Event) -> None:
        d = event.data
        status = _STATUS.get(str(d.get("state", "")).lower())
        if isinstance(d.get("exchange"), str) and status:
            await self.recorder.on_event(Source.MARKET_STATUS, d["exchange"], event.id,
                                         event.time, status=status)


def handlers(recorder: TriggerRecorder, ready: asyncio.Event | None = None,
             remember_news: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None
             ) -> list[HandlerSpec]:
    """The handler table. `ready` is set once the index holds the stored rules: until then a
    handler waits, since an event evaluated against an empty index would be acknowledged
    without firing anything."""
    h = AlertHandlers(recorder, remember_news)

    def spec(topic: Topic, fn: Callable[..., Any], **kw: Any) -> HandlerSpec:
        async def after_ready(arg: Any) -> None:
            if ready is not None and not ready.is_set():
                await ready.wait()
            await fn(arg)
        return HandlerSpec(topic, GROUP, after_ready, idempotency=IDEMPOTENT, **kw)

    return [
        spec(QUOTE_UPDATED, h.on_quotes, batch=True, max_batch=500, max_wait=0.01),
        spec(NEWS_PUBLISHED, h.on_news),
        spec(NEWS_SENTIMENT, h.on_news),
        spec(FINANCIALS_UPDATED, h.values_of(_numbers)),
        spec(PREDICTION_GENERATED, h.values_of(_forecasts)),
        spec(RISK_THRESHOLD, h.values_of(_risks)),
        spec(SIGNAL_GENERATED, h.on_signal),
        spec(STATUS_CHANGED, h.on_status),
    ]
