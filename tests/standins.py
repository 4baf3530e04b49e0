"""Real HTTP servers standing in for the services around StockFlow (Kubesnap, the Event
Dispatcher, the Kubernetes API, another StockFlow service): they record every request and
answer from a function the test gives."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LocalHTTPServer(ThreadingHTTPServer):
    """A threaded local server that stays quiet when a client drops its connection (a timeout
    test, a client closed mid-answer): socketserver prints each such reset as a traceback in
    the test output. Any other error is still printed."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


# (request, how many requests came before it) -> (status, JSON body)
Answer = Callable[[Seen, int], tuple[int, Any]]


class StandIn:
    def __init__(self, answer: Answer | None = None) -> None:
        self.answer = answer or (lambda _seen, _n: (200, {"ok": True}))
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = Seen(self.command, self.path, headers, json.loads(raw) if raw else None)
                with stand_in._lock:
                    n = len(stand_in.requests)
                    stand_in.requests.append(seen)
                status, body = stand_in.answer(seen, n)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _handle  # http.server dispatches on these names

            def log_message(self, *args: Any) -> None:
                pass

        self.server = LocalHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
