"""The bench server: StockFlow exactly as `stockflow up` builds it, plus a raw ASGI endpoint
returning fixed bytes, dispatched before the framework, as the same-run reference.

Three more endpoints take a quote request apart (`bench/api_quotes.py --anatomy`):
`/__shaped` is the raw endpoint answering with a quote's header count and body size (what
uvicorn's own work costs for that answer), `/__app-only` runs the app on GET /v1/quotes/NVDA
with its answer dropped and then answers as the raw endpoint does (the app's work inside a
busy server, timed with this thread's CPU clock), and `/__app-cpu` reports that time."""

from __future__ import annotations

import sys
import time

import orjson
import uvicorn

from stockflow.bootstrap import bootstrap
from stockflow.entrypoints.cli import uvicorn_options
from stockflow.entrypoints.http import create_app

RAW_BODY = b'{"data":{"ticker":"NVDA","price":1.0},"meta":{"version":"v1"}}'
RAW_HEADERS = [(b"content-type", b"application/json")]
# A quote's answer: five headers (length, type, request id, the RateLimit pair), ~400 bytes.
SHAPED_BODY = b" " * 400
SHAPED_HEADERS = [(b"content-length", b"400"), (b"content-type", b"application/json"),
                  (b"x-request-id", b"0" * 32), (b"ratelimit-policy", b"1000000000;w=60"),
                  (b"ratelimit", b"limit=1000000000, remaining=999999999, reset=1")]
QUOTE_PATH = "/v1/quotes/NVDA"


async def _no_body() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _drop(message: dict) -> None:
    pass


def with_raw_endpoint(app):
    app_cpu = {"requests": 0, "seconds": 0.0}

    async def answer(send, headers, body):
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def dispatch(scope, receive, send):
        path = scope.get("path")
        if scope["type"] != "http" or not path.startswith("/__"):
            await app(scope, receive, send)
        elif path == "/__raw":
            await answer(send, RAW_HEADERS, RAW_BODY)
        elif path == "/__shaped":
            await answer(send, SHAPED_HEADERS, SHAPED_BODY)
        elif path == "/__app-only":
            started = time.thread_time()
            await app({**scope, "path": QUOTE_PATH, "raw_path": QUOTE_PATH.encode()},
                      _no_body, _drop)
            app_cpu["seconds"] += time.thread_time() - started
            app_cpu["requests"] += 1
            await answer(send, RAW_HEADERS, RAW_BODY)
        elif path == "/__app-cpu":
            await answer(send, RAW_HEADERS, orjson.dumps(app_cpu))
        else:
            await app(scope, receive, send)

    return dispatch


if __name__ == "__main__":
    container = bootstrap()
    # The options `stockflow up` uses; lifespan "on" only makes a failed start end the bench.
    options = uvicorn_options(container.settings.http)
    uvicorn.run(with_raw_endpoint(create_app(container)), host="127.0.0.1",
                port=int(sys.argv[1]), **{**options, "lifespan": "on"})
