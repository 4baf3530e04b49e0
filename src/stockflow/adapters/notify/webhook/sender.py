"""The webhook Notifier: a signed POST to an address the SSRF guard checked, and nowhere else.

`PinnedTransport` resolves the URL once through the guard and connects to that address, keeping
the URL's host for the Host header and for TLS (SNI and certificate check), so a DNS answer that
changes between check and connect (rebinding) cannot move the request. Redirects are never
followed, the whole exchange has a 15 s deadline and at most `max_body` bytes of the answer are
read (receivers only need to answer 2xx).
"""

from __future__ import annotations

import asyncio

import httpx
import orjson

from stockflow.alerts.ports import Message, SendResult
from stockflow.alerts.signing import SignatureError, headers
from stockflow.alerts.ssrf import UrlRefused, WebhookGuard
from stockflow.core.ports import Clock

USER_AGENT = "StockFlow-Webhooks/1"
TIMEOUT_SECONDS = 15.0
MAX_BODY_BYTES = 64 * 1024
CONCURRENCY = 32          # requests in flight per notifier (and pooled connections)


class PinnedTransport(httpx.AsyncBaseTransport):
    def __init__(self, guard: WebhookGuard, inner: httpx.AsyncBaseTransport | None = None,
                 *, connections: int = 32) -> None:
        self.guard = guard
        # No retries in the transport: retrying is the outbox's job, with its own schedule.
        self.inner = inner or httpx.AsyncHTTPTransport(retries=0, limits=httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = await self.guard.check(str(request.url))
        request.url = request.url.copy_with(host=target.addresses[0])
        if target.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": target.host}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class WebhookNotifier:
    channel = "webhook"

    def __init__(self, guard: WebhookGuard, clock: Clock, *, timeout: float = TIMEOUT_SECONDS,
                 max_body: int = MAX_BODY_BYTES,
                 transport: httpx.AsyncBaseTransport | None = None,
                 concurrency: int = CONCURRENCY) -> None:
        self.clock = clock
        self.timeout = timeout
        self.max_body = max_body
        # Requests beyond the pool wait here, not in httpcore's pool, whose queue costs a scan
        # of every waiting request per assignment (quadratic: 500 queued sends took seconds).
        self._slots = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(transport=PinnedTransport(
            guard, transport, connections=concurrency),
                                         follow_redirects=False, timeout=timeout,
                                         trust_env=False)   # never through an env proxy

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
                return await self._post(message.recipient, body, request_headers)
        except UrlRefused as exc:
            return SendResult(ok=False, error=f"refused: {exc.reason}", permanent=True)
        except (TimeoutError, httpx.TimeoutException):
            return SendResult(ok=False, error=f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])

    async def _post(self, url: str, body: bytes, request_headers: dict[str, str]) -> SendResult:
        async with self._client.stream("POST", url, content=body,
                                       headers=request_headers) as response:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= self.max_body:
                    break       # enough: closing the stream drops the rest
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(ok=True, status=status)
        if 300 <= status < 400:
            return SendResult(ok=False, status=status, error=f"HTTP {status}: redirects are "
                              "not followed; give the final URL")
        return SendResult(ok=False, status=status, error=f"HTTP {status}")

    async def close(self) -> None:
        await self._client.aclose()
