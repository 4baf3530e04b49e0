"""The event catalogue: every topic on the bus and every pub/sub channel, with its payload model
and schema version. No topic string is written anywhere else: code names `topics.QUOTE_UPDATED`,
publishes with `QUOTE_UPDATED.event(data, key=...)` and subscribes through a handler table.

Payload models say what consumers may rely on; they allow extra fields so that a producer can
add one without a version bump. A change that removes or retypes a field bumps `version`.
Hot paths do not validate on publish; the catalogue test validates what each producer emits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stockflow.core.events import Event, make_event


class Payload(BaseModel):
    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class Topic:
    name: str
    payload: type[Payload]
    description: str
    version: int = 1

    @property
    def dlq(self) -> str:
        """Where the bus dead-letters this topic's events (every bus adapter uses this form)."""
        return f"{self.name}.dlq"

    def event(self, data: dict[str, Any], *, key: str | None = None,
              time: datetime | None = None) -> Event:
        event = make_event(self.name, data, key=key, time=time)
        if self.version != event.schema_version:
            event.schema_version = self.version
        return event

    def validate(self, event: Event) -> Payload:
        return self.payload.model_validate(event.data)


# Payload models, one per topic shape.
class TickBatch(Payload):
    ticks: list[dict[str, Any]]


class TickColumns(Payload):
    columns: dict[str, list[Any]]  # column name -> values, one per tick


class BarClosed(Payload):
    ticker: str
    interval: str
    time: str
    open: float
    high: float
    low: float
    close: float
    volume: float


class QuoteUpdated(Payload):
    ticker: str
    price: float


class StatusChanged(Payload):
    exchange: str
    state: str
    previous_state: str | None = None


class TickRejected(Payload):
    reason: str
    detail: str


class ProviderEvent(Payload):
    chain: str
    provider: str


class DataQualityIssue(Payload):
    chain: str
    provider: str
    ticker: str
    issue: str


class UserEvent(Payload):
    user_id: str


class HealthAlert(Payload):
    service: str
    status: str


class MaintenanceChanged(Payload):
    enabled: bool


class TickerEvent(Payload):
    """The shape of the research contexts' events: about one ticker, more fields per topic."""

    ticker: str | None = None


class SignalGenerated(Payload):
    """A strategy's signal for a ticker at a bar close (the signal engine, seed 000)."""

    ticker: str
    strategy: str  # a built-in strategy name, "ensemble", or "user:<strategy id>"
    action: str  # buy | sell | hold
    strength: float  # 0..1
    confidence: float  # 0..1
    interval: str  # the bar interval the signal was computed on, e.g. "1d"
    bar_time: str  # ISO 8601 close time of the bar the signal was computed at
    previous_action: str | None = None


class IntelReportGenerated(Payload):
    """A market-intel brief was written (seed 001). `ticker` is None for the market-wide brief."""

    ticker: str | None = None
    scope: str  # ticker | market
    report_id: str
    generated_by: str  # llm | template
    facts_version: str


class FinancialsUpdated(Payload):
    """A company's statements changed (analysis context). `metrics` are the newest period's
    ratios and line items by name (`period`, `period_end` say which); one not known is absent."""

    ticker: str
    changed: int
    period_ends: list[str]
    period: str | None = None  # ttm | annual: what `metrics` were computed on
    period_end: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)


class PredictionGenerated(Payload):
    """A ticker's daily batch forecasts (predict context). Moves are percent from the last close
    the forecast started at, by horizon ("1d" … "7d"); `horizon` / `forecast_move_pct` repeat
    the next day's. A move not known is absent."""

    ticker: str
    model_version: str
    generated_at: str
    predictions: list[dict[str, Any]]
    last_close: float | None = None
    horizon: str = "1d"
    forecast_move_pct: float | None = None
    forecast_move_pct_by_horizon: dict[str, float] = Field(default_factory=dict)


class RiskThresholdExceeded(Payload):
    """A ticker's 99 % VaR crossed above its configured threshold (predict context)."""

    ticker: str
    measure: str
    var: float  # a fraction: 0.05 = 5 %
    var_pct: float
    threshold: float
    horizon: str = "1d"


class Anything(Payload):
    pass


def _topics(*rows: Topic) -> dict[str, Topic]:
    return {t.name: t for t in rows}


RAW_TICKS = Topic("market.ticks.raw", TickBatch, "vendor ticks as received (seed 003)")
PROCESSED_TICKS = Topic("market.ticks.processed", TickColumns,
                        "normalised, enriched ticks in columns (seed 003)")
QUOTE_UPDATED = Topic("market.quote.updated", QuoteUpdated, "a new quote for a ticker")
BAR_CLOSED = Topic("market.bar.closed", BarClosed, "an OHLCV bar that will not change again")
STATUS_CHANGED = Topic("market.status.changed", StatusChanged, "an exchange opened or closed")
MARKET_ANOMALY = Topic("market.anomaly.detected", TickerEvent, "unusual live market behaviour")
TICK_REJECTED = Topic("pipeline.tick.rejected", TickRejected,
                      "a tick the pipeline refused, with the reason (on market.ticks.raw.dlq)")
NEWS_PUBLISHED = Topic("news.article.published", TickerEvent, "a new news article")
NEWS_SENTIMENT = Topic("news.sentiment.analyzed", TickerEvent, "an article's sentiment")
NEWS_EVENT = Topic("news.event.detected", TickerEvent, "a corporate event found in the news")
FINANCIALS_UPDATED = Topic("financials.updated", FinancialsUpdated, "new financial statements")
FINANCIALS_ANOMALY = Topic("financials.anomaly.detected", TickerEvent,
                           "a red flag in financial statements")
PREDICTION_GENERATED = Topic("prediction.generated", PredictionGenerated, "a stored forecast")
ANOMALY_DETECTED = Topic("anomaly.detected", TickerEvent, "an anomaly in a ticker's history")
RISK_THRESHOLD = Topic("risk.threshold.exceeded", RiskThresholdExceeded,
                       "a VaR crossed its threshold")
ALERT_TRIGGERED = Topic("alert.triggered", Anything, "an alert rule fired")
ALERT_DELIVERED = Topic("alert.delivered", Anything, "a notification reached its channel")
ALERT_FAILED = Topic("alert.failed", Anything, "a notification failed for good")
USER_REGISTERED = Topic("user.registered", UserEvent, "a new account")
WATCHLIST_UPDATED = Topic("watchlist.updated", UserEvent, "a watchlist changed")
DATA_INGESTED = Topic("data.ingested", Anything, "a scheduled ingestion stored data")
DATA_QUALITY_ISSUE = Topic("data.quality.issue", DataQualityIssue,
                           "a vendor answer failed validation")
PROVIDER_UNAVAILABLE = Topic("provider.unavailable", ProviderEvent, "a vendor's breaker opened")
PROVIDER_RECOVERED = Topic("provider.recovered", ProviderEvent, "a vendor's breaker closed")
SIGNAL_GENERATED = Topic("signal.generated", SignalGenerated, "a trading signal at bar close")
INTEL_REPORT = Topic("intel.report.generated", IntelReportGenerated, "a market-intel brief")
COMPANY_UPDATED = Topic("company.updated", TickerEvent, "a company's profile changed")
HEALTH_ALERT = Topic("health.alert", HealthAlert, "a failed health check (seed 000)")
MAINTENANCE_CHANGED = Topic("maintenance.changed", MaintenanceChanged,
                            "maintenance mode switched")
HEALTH_PROBE = Topic("control.health.probe", Anything,
                     "the health check's own publish; no group consumes it")

TOPICS: dict[str, Topic] = _topics(
    RAW_TICKS, PROCESSED_TICKS, QUOTE_UPDATED, BAR_CLOSED, STATUS_CHANGED, MARKET_ANOMALY,
    TICK_REJECTED, NEWS_PUBLISHED, NEWS_SENTIMENT, NEWS_EVENT, FINANCIALS_UPDATED,
    FINANCIALS_ANOMALY, PREDICTION_GENERATED, ANOMALY_DETECTED, RISK_THRESHOLD, ALERT_TRIGGERED,
    ALERT_DELIVERED, ALERT_FAILED, USER_REGISTERED, WATCHLIST_UPDATED, DATA_INGESTED,
    DATA_QUALITY_ISSUE, PROVIDER_UNAVAILABLE, PROVIDER_RECOVERED, SIGNAL_GENERATED, INTEL_REPORT,
    COMPANY_UPDATED, HEALTH_ALERT, MAINTENANCE_CHANGED, HEALTH_PROBE)


@dataclass(frozen=True)
class Channel:
    """A pub/sub channel: fire-and-forget fan-out across processes, no durability."""

    name: str
    description: str


QUOTE_STREAM = Channel("stream.quotes", "batches of live quotes for the WebSocket hub")
NEWS_STREAM = Channel("stream.news", "live news for the news stream")
MAINTENANCE_PUSH = Channel("control.maintenance", "maintenance switches, pushed to instances")
REVOCATION_PUSH = Channel("auth.revocations", "revoked access tokens, pushed to instances")
ALERT_RULES_PUSH = Channel("alerts.rules", "an alert rule was created, changed or deleted: "
                           "every evaluator re-reads it (a periodic catch-up covers a lost push)")

CHANNELS: dict[str, Channel] = {c.name: c for c in (QUOTE_STREAM, NEWS_STREAM, MAINTENANCE_PUSH,
                                                    REVOCATION_PUSH, ALERT_RULES_PUSH)}
