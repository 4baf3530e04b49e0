"""WS /v1/stream/news: subscribe by tickers and/or event types, a snapshot of recent articles,
then live `news` frames, heartbeats and error frames (SPEC "Streams")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from stockflow.core.permissions import READ_STREAMS, Guard
from stockflow.core.principal import TokenWatch
from stockflow.core.problems import invalid
from stockflow.core.stream_session import frame, serve, string_list
from stockflow.core.streaming import ClientQueue
from stockflow.market.ports import MarketReader
from stockflow.news.domain import ArticleQuery, EventType
from stockflow.news.queries import NewsQueries
from stockflow.news.streaming import NewsHub

router = APIRouter(tags=["news"])
PATH = "/v1/stream/news"
GUARDS = [Guard(PATH, READ_STREAMS)]
MAX_SUBSCRIPTIONS = 500
SNAPSHOT = 10  # recent articles per ticker or event type on subscribe


@router.websocket(PATH)
async def stream_news(ws: WebSocket) -> None:
    ports = ws.app.state.ports
    hub, queries, market = ports.get(NewsHub), ports.get(NewsQueries), ports.get(MarketReader)

    async def on_message(msg: dict[str, Any], client: ClientQueue) -> None:
        await _handle(msg, client, hub, queries, market)

    await serve(ws, hub, PATH, on_message, watch=ws.app.state.ports.find(TokenWatch))


def _keys(msg: dict[str, Any], market: Any) -> tuple[list[str], list[str]]:
    raw_tickers = string_list(msg, "tickers", required=False)
    raw_events = string_list(msg, "event_types", required=False)
    if not raw_tickers and not raw_events:
        raise invalid("give tickers and/or event_types, each a non-empty list of strings")
    known = {e.value for e in EventType}
    wrong = [e for e in raw_events if e not in known]
    if wrong:
        raise invalid(f"unknown event types {wrong}; known: {sorted(known)}")
    tickers = list(dict.fromkeys(market.instrument(t).ticker for t in raw_tickers))  # 404
    return tickers, list(dict.fromkeys(raw_events))


async def _handle(msg: dict[str, Any], client: ClientQueue, hub: NewsHub,
                  queries: NewsQueries, market: Any) -> None:
    action = msg.get("action")
    if action not in ("subscribe", "unsubscribe"):
        raise invalid("action must be subscribe, unsubscribe or ping")
    tickers, events = _keys(msg, market)
    keys = [*tickers, *(f"event:{e}" for e in events)]
    if action == "unsubscribe":
        hub.unsubscribe(client, keys)
        client.offer_control(frame({"type": "unsubscribed", "tickers": tickers,
                                    "event_types": events}))
        return
    if len(client.keys | set(keys)) > MAX_SUBSCRIPTIONS:
        raise invalid(f"at most {MAX_SUBSCRIPTIONS} tickers and event types per connection")
    hub.subscribe(client, keys)
    queries_ = [ArticleQuery(ticker=t, limit=SNAPSHOT) for t in tickers]
    queries_ += [ArticleQuery(event_type=EventType(e), limit=SNAPSHOT) for e in events]
    seen: dict[str, Any] = {}
    for q in queries_:
        page, _ = await queries.page(q, full=True)  # the stream is for tiers that see it all
        seen.update((a.id, a) for a in page)
    recent = sorted(seen.values(), key=lambda a: (a.published_at, a.id), reverse=True)
    client.offer_control(frame({"type": "snapshot",
                                "data": [a.model_dump(mode="json") for a in recent]}))
