"""The predict context's handler table: a daily bar closing live is scored against the bars
before it, and an unusual one published as market.anomaly.detected."""

from __future__ import annotations

from datetime import datetime

from stockflow.core.catalogue import BAR_CLOSED, MARKET_ANOMALY
from stockflow.core.events import Event
from stockflow.core.module import BY_EVENT_ID, HandlerSpec
from stockflow.core.ports import EventBus
from stockflow.core.problems import Problem
from stockflow.predict.series import make_series
from stockflow.predict.service import PredictService

DAILY = "1d"   # the anomaly model is one of daily bars; minute bars have their own scale


class LiveBars:
    def __init__(self, service: PredictService, bus: EventBus) -> None:
        self.service = service
        self.bus = bus
        self.checked = 0

    async def on_bar(self, event: Event) -> None:
        bar = BAR_CLOSED.validate(event)
        if bar.interval != DAILY:
            return
        day = datetime.fromisoformat(bar.time).date()
        one = make_series([bar.close], dates=[day], open=[bar.open], high=[bar.high],
                          low=[bar.low], volume=[bar.volume])
        try:
            row = await self.service.bar_anomaly(bar.ticker, one)
        except Problem:
            return            # a ticker predict does not know, or too short a history yet
        self.checked += 1
        if row is not None:
            await self.bus.publish(MARKET_ANOMALY.name, MARKET_ANOMALY.event(
                {"ticker": bar.ticker, "source": "live bar", "interval": bar.interval, **row},
                key=bar.ticker))


def handlers(live: LiveBars) -> list[HandlerSpec]:
    # Publishing is not idempotent (a redelivered bar would alert twice), so the idempotency
    # store guards the handler by event id.
    return [HandlerSpec(BAR_CLOSED, "predict-anomaly", live.on_bar, idempotency=BY_EVENT_ID)]
