"""WS /v1/stream/quotes: subscribe, snapshot, live quotes, heartbeats (SPEC "Streams")."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, WebSocket

from stockflow.core.permissions import READ_QUOTES_REALTIME, READ_STREAMS, Guard
from stockflow.core.principal import TokenWatch
from stockflow.core.problems import invalid
from stockflow.core.stream_session import frame, serve, string_list
from stockflow.core.streaming import ClientQueue
from stockflow.market.api import realtime
from stockflow.market.service import MAX_BATCH, MarketDataService
from stockflow.market.streaming import QuoteHub

router = APIRouter(tags=["market"])
PATH = "/v1/stream/quotes"
GUARDS = [Guard(PATH, READ_STREAMS)]
MAX_SUBSCRIPTIONS = 500


@router.websocket(PATH)
async def stream_quotes(ws: WebSocket) -> None:
    ports = ws.app.state.ports
    hub, market = ports.get(QuoteHub), ports.get(MarketDataService)

    async def on_message(msg: dict[str, Any], client: ClientQueue) -> None:
        await _handle(msg, client, hub, market)

    # The stream is live prices, snapshot included: a caller granted streams but not real-time
    # quotes (an extra permission on the free tier) must not get them.
    refuse = None if realtime(ws) else f"live quotes need {READ_QUOTES_REALTIME}"
    await serve(ws, hub, PATH, on_message, refuse=refuse, watch=ports.find(TokenWatch))


async def _handle(msg: dict[str, Any], client: ClientQueue, hub: Any, market: Any) -> None:
    action = msg.get("action")
    if action not in ("subscribe", "unsubscribe"):
        raise invalid("action must be subscribe, unsubscribe or ping")
    raw = string_list(msg, "tickers")
    tickers = list(dict.fromkeys(market.instrument(t).ticker for t in raw))  # 404 if unknown
    if action == "unsubscribe":
        hub.unsubscribe(client, tickers)
        client.offer_control(frame({"type": "unsubscribed", "tickers": tickers}))
        return
    if len(client.keys | set(tickers)) > MAX_SUBSCRIPTIONS:
        raise invalid(f"at most {MAX_SUBSCRIPTIONS} tickers per connection")
    hub.subscribe(client, tickers)
    for i in range(0, len(tickers), MAX_BATCH):
        data, meta = await market.quotes_json(",".join(tickers[i:i + MAX_BATCH]))
        stale = ',"meta":' + orjson.dumps(meta).decode() if meta else ""  # last-known quotes
        client.offer_control('{"type":"snapshot","data":' + data.decode() + stale + "}")
