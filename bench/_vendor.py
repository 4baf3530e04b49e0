"""A local provider server for bench/providers: Polygon's three quote endpoints and Yahoo's chart,
answering with the vendors' own fixture bodies. `POST /__primary/down` makes Polygon answer 500
until `POST /__primary/up`. Raw ASGI on uvicorn, so the server is not what gets measured."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

PAYLOADS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "payloads"
ROUTES = {
    "/v2/last/trade/AAPL": "polygon/v2_last_trade_AAPL_spec_example.json",
    "/v2/last/nbbo/AAPL": "polygon/v2_last_nbbo_AAPL_spec_example.json",
    "/v2/aggs/ticker/AAPL/prev": "polygon/v2_aggs_ticker_AAPL_prev_client_mock.json",
    "/v8/finance/chart/AAPL": "yahoo/v8_chart_AAPL_1d_2022-02-22.json",
}
BODIES = {path: (PAYLOADS / name).read_bytes() for path, name in ROUTES.items()}
state = {"primary_down": False}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    status, body = 200, BODIES.get(path)
    if path.startswith("/__primary/"):
        state["primary_down"] = path.endswith("/down")
        body = b"{}"
    elif body is None:
        status, body = 404, b'{"error":"no route"}'
    elif path.startswith("/v2/") and state["primary_down"]:
        status, body = 500, b'{"status":"ERROR","error":"internal"}'
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False, loop="auto", http="auto")
