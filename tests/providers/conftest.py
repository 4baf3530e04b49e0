"""A real local HTTP server for provider tests: serves the vendor payload fixtures by route and
injects faults per test (status, headers, delay, raw body, redirect). Requests are recorded."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.standins import LocalHTTPServer

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def payload_json(name: str):
    return json.loads(payload(name))


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class FakeVendor:
    """Routes keyed by (method, path); an unrouted path is a 404 with a JSON body."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[Seen] = []
        self.url = ""

    def reset(self) -> None:
        self.routes.clear()
        self.requests.clear()

    def route(self, path: str, fixture: str | None = None, *, method: str = "GET",
              body: bytes | str | dict | list | None = None, status: int = 200,
              headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        if fixture is not None:
            raw = payload(fixture)
        elif isinstance(body, (dict, list)):
            raw = json.dumps(body).encode()
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body or b""
        self.routes[(method, path)] = Route(raw, status, dict(headers or {}), delay)

    def redirect(self, path: str, to: str, *, method: str = "GET", status: int = 302) -> None:
        self.routes[(method, path)] = Route(b"", status, {"Location": to})

    @property
    def last(self) -> Seen:
        return self.requests[-1]


def _handler(vendor: FakeVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            vendor.requests.append(Seen(self.command, parts.path, parse_qs(parts.query),
                                        {k.lower(): v for k, v in self.headers.items()}, data))
            route = vendor.routes.get((self.command, parts.path))
            if route is None:
                route = Route(b'{"error":"no route in test server"}', 404)
            if route.delay:
                time.sleep(route.delay)
            try:
                self.send_response(route.status)
                headers = {"Content-Type": "application/json", **route.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out first, as the test wanted

        do_GET = do_POST = _serve

    return Handler


@pytest.fixture(scope="session")
def _server() -> Iterator[FakeVendor]:
    vendor = FakeVendor()
    httpd = LocalHTTPServer(("127.0.0.1", 0), _handler(vendor))
    httpd.daemon_threads = True
    vendor.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield vendor
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def vendor(_server: FakeVendor) -> Iterator[FakeVendor]:
    _server.reset()
    yield _server
    _server.reset()
