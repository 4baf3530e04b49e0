"""The webhook Notifier: a signed POST to an address the SSRF guard checked, and nowhere else.

The URL is resolved once through the guard and the request connects to that checked address,
keeping the URL's host for the Host header and for TLS (SNI and the certificate check through
`server_hostname`), so a DNS answer that changes between check and connect (rebinding) cannot
move the request. Redirects are never followed, the whole exchange has a deadline and at most
`max_body` bytes of the answer are read (receivers only need to answer 2xx).

Why aiohttp and not httpx, which the rest of StockFlow uses: webhooks are the one client that
sends thousands of requests a minute to many hosts at once. Measured against the same local
receiver (bench/README.md, alerts 2026-12-02), httpx costs 1.1 ms of CPU a request with one
connection and 3.3 ms with 32 in flight (its pool's bookkeeping grows with the connections),
aiohttp 0.12-0.16 ms at either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl

import aiohttp
import orjson
from yarl import URL

from stockflow.alerts.ports import Message, SendResult
from stockflow.alerts.signing import SignatureError, headers
from stockflow.alerts.ssrf import Target, UrlRefused, WebhookGuard
from stockflow.core.ports import Clock

USER_AGENT = "StockFlow-Webhooks/1"
TIMEOUT_SECONDS = 15.0
MAX_BODY_BYTES = 64 * 1024
CONCURRENCY = 32          # requests in flight per notifier (and pooled connections)
DEFAULT_PORTS = {"http": 80, "https": 443}


def pinned(url: URL, target: Target) -> tuple[URL, str]:
    """The URL that connects to the checked address, and the Host header it must carry."""
    address = target.addresses[0]
    host = f"[{target.host}]" if ":" in target.host else target.host
    if target.port != DEFAULT_PORTS[target.scheme]:
        host += f":{target.port}"
    literal = ipaddress.ip_address(address.split("%", 1)[0])
    return url.with_host(str(literal)).with_port(target.port), host


class WebhookNotifier:
    channel = "webhook"

    def __init__(self, guard: WebhookGuard, clock: Clock, *, timeout: float = TIMEOUT_SECONDS,
                 max_body: int = MAX_BODY_BYTES, concurrency: int = CONCURRENCY,
                 tls: ssl.SSLContext | None = None) -> None:
        self.guard = guard
        # The system's trust store (SSL_CERT_FILE names another); tests pass their own CA.
        self.tls = tls
        self.clock = clock
        self.timeout = timeout
        self.max_body = max_body
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop (aiohttp binds a session to its loop).
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.concurrency,
                                             ssl=self.tls or ssl.create_default_context())
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False,       # never through an env proxy
                auto_decompress=False, skip_auto_headers=("User-Agent",))
        return self._session

    async def send(self, message: Message) -> SendResult:
        body = orjson.dumps(message.payload)
        try:
            signed = headers(message.delivery_id, int(self.clock.now().timestamp()), body,
                             message.secrets)
        except SignatureError as exc:
            return SendResult(ok=False, error=str(exc), permanent=True)
        request_headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                           **signed}
        try:
            async with self._slots, asyncio.timeout(self.timeout):
                target = await self.guard.check(message.recipient)
                return await self._post(target, message.recipient, body, request_headers)
        except UrlRefused as exc:
            return SendResult(ok=False, error=f"refused: {exc.reason}", permanent=True)
        except TimeoutError:
            return SendResult(ok=False, error=f"no answer within {self.timeout:g} s")
        except (aiohttp.ClientError, ValueError) as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])

    async def _post(self, target: Target, url: str, body: bytes,
                    request_headers: dict[str, str]) -> SendResult:
        where, host = pinned(URL(url), target)
        tls = {"server_hostname": target.host} if target.scheme == "https" else {}
        async with self.session().post(where, data=body, headers={**request_headers,
                                                                  "host": host},
                                       allow_redirects=False, **tls) as response:
            read = 0
            while read < self.max_body and (chunk := await response.content.readany()):
                read += len(chunk)      # enough at the cap: leaving the block drops the rest
            status = response.status
        if 200 <= status < 300:
            return SendResult(ok=True, status=status)
        if 300 <= status < 400:
            return SendResult(ok=False, status=status, error=f"HTTP {status}: redirects are "
                              "not followed; give the final URL")
        return SendResult(ok=False, status=status, error=f"HTTP {status}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
