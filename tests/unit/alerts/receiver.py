"""A real local HTTP server for the alerts tests: records raw requests, answers as told."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Self

from tests.standins import LocalHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


# request -> (status, headers, body); body ENDLESS streams until the client hangs up
Answer = Callable[[Request], tuple[int, dict[str, str], bytes]]
ENDLESS = b"<endless>"


def _ok(_: Request) -> tuple[int, dict[str, str], bytes]:
    return 204, {}, b""


class Receiver:
    def __init__(self, answer: Answer = _ok, host: str = "127.0.0.1",
                 tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.sni: list[str | None] = []       # the server names TLS clients asked for
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                seen = Request(self.command, self.path,
                               {k.lower(): v for k, v in self.headers.items()}, raw)
                receiver.requests.append(seen)
                status, headers, body = receiver.answer(seen)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                endless = body is ENDLESS
                self.send_header("content-length", str(10**12 if endless else len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                    while endless:
                        self.wfile.write(b"x" * 65536)
                except (BrokenPipeError, ConnectionResetError):
                    pass     # the client stopped reading (the body cap): fine

            do_GET = do_POST = _handle  # http.server dispatches on these names

            def log_message(self, *args: Any) -> None:
                pass

        self.server = LocalHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
