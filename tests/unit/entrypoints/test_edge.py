"""The edge middleware on its own: request ids, metrics per route template, status capture."""

from __future__ import annotations

import os
import re

from stockflow.core.metrics import Metrics
from stockflow.entrypoints.middleware import EdgeMiddleware, _RequestIds


def test_request_ids_look_like_uuid_hex_and_do_not_repeat():
    ids = _RequestIds()
    made = [ids() for _ in range(1000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in made)
    assert len(set(made)) == len(made)


def test_request_ids_differ_between_processes_after_fork():
    ids = _RequestIds()
    before = ids()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports its next id and leaves at once
        os.write(write, ids().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    assert child[:16] != before[:16]


class _Route:
    path = "/things/{id}"


async def test_edge_counts_by_template_adds_the_id_and_keeps_the_status():
    sent = []

    async def app(scope, receive, send):
        scope["route"] = _Route()
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def send(message):
        sent.append(message)

    metrics = Metrics()
    edge = EdgeMiddleware(app, metrics, access_log=False)
    scope = {"type": "http", "method": "GET", "path": "/things/7",
             "headers": [(b"x-request-id", b"abc")]}
    await edge(scope, None, send)
    assert (b"x-request-id", b"abc") in sent[0]["headers"]
    assert metrics.http.count("GET", "/things/{id}", 404) == 1
    assert 'route="/things/{id}"' in metrics.render().decode()
