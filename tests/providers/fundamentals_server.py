"""A real local HTTP server for fundamentals tests: routes by path and by chosen query values
(Alpha Vantage serves every function from /query), so one call may fetch several bodies."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.providers.conftest import payload
from tests.standins import LocalHTTPServer


@dataclass
class Answer:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class RoutedVendor:
    def __init__(self) -> None:
        self.url = ""
        self.answers: list[tuple[str, dict[str, str], Answer]] = []
        self.requests: list[Request] = []

    def route(self, path: str, fixture: str | None = None, *, match: dict[str, str] | None = None,
              body: object = None, status: int = 200,
              headers: dict[str, str] | None = None) -> None:
        raw = payload(fixture) if fixture else (
            body if isinstance(body, bytes) else json.dumps(body).encode())
        # Newest first, so a test can override a route it set up earlier.
        self.answers.insert(0, (path, dict(match or {}), Answer(raw, status, dict(headers or {}))))

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        for p, match, answer in self.answers:
            if p == path and all(query.get(k) == [v] for k, v in match.items()):
                return answer
        return Answer(b'{"error":"no route in test server"}', 404)


def _handler(vendor: RoutedVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            vendor.requests.append(Request(parts.path, query,
                                           {k.lower(): v for k, v in self.headers.items()}))
            answer = vendor.answer(parts.path, query)
            self.send_response(answer.status)
            for k, v in {"Content-Type": "application/json", **answer.headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

    return Handler


def serve() -> Iterator[RoutedVendor]:
    vendor = RoutedVendor()
    httpd = LocalHTTPServer(("127.0.0.1", 0), _handler(vendor))
    httpd.daemon_threads = True
    vendor.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield vendor
    finally:
        httpd.shutdown()
        httpd.server_close()
