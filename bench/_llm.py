"""A local OpenAI-compatible server for bench/intel: OpenAI's recorded completion envelope, after
a fixed delay standing in for the model's time, with a text citing the request's own quote
fact (so the brief passes the checker). Raw ASGI on uvicorn, so the server is not what gets
measured."""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from pathlib import Path

import uvicorn

PAYLOADS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "payloads"
RECORDED = json.loads((PAYLOADS / "openai/chat_completions_gpt-4o-2024-08-06_recorded.json")
                      .read_text())
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2


async def read_body(receive) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    raw = await read_body(receive)
    if scope["method"] != "POST" or not raw:      # the bench's readiness probe
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    request = json.loads(raw)
    doc = request["messages"][1]["content"].split("<facts>\n")[1].split("\n</facts>")[0]
    facts = {f["id"]: f for f in json.loads(doc)["facts"]}
    answer = copy.deepcopy(RECORDED)
    answer["choices"][0]["message"]["content"] = (
        f"{facts['ticker']['value']} last traded at {facts['quote.price']['value']:.2f} "
        "[quote.price].")
    await asyncio.sleep(DELAY)
    body = json.dumps(answer).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False, loop="auto", http="auto")
