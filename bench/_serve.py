"""The bench server: StockFlow exactly as `stockflow up` builds it, plus a raw ASGI endpoint
returning fixed bytes, dispatched before the framework, as the same-run reference."""

from __future__ import annotations

import sys

import uvicorn

from stockflow.bootstrap import bootstrap
from stockflow.entrypoints.cli import uvicorn_options
from stockflow.entrypoints.http import create_app

RAW_BODY = b'{"data":{"ticker":"NVDA","price":1.0},"meta":{"version":"v1"}}'


def with_raw_endpoint(app):
    async def dispatch(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/__raw":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": RAW_BODY})
            return
        await app(scope, receive, send)

    return dispatch


if __name__ == "__main__":
    container = bootstrap()
    # The options `stockflow up` uses; lifespan "on" only makes a failed start end the bench.
    options = uvicorn_options(container.settings.http)
    uvicorn.run(with_raw_endpoint(create_app(container)), host="127.0.0.1",
                port=int(sys.argv[1]), **{**options, "lifespan": "on"})
