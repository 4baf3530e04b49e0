"""An OpenAI-compatible chat-completions client over httpx: plain or streamed (SSE) answers,
token usage from the answer, retries with full-jitter backoff and one typed error per failure,
so the caller decides between retrying, opening its breaker and writing the brief itself.

Failures, as the vendor's bodies say them (`error.code`, `error.type`):
- 429 `rate_limit_exceeded` (or any other 429), 5xx, timeouts, connection errors: retried,
  then `LlmError(retryable=True)`; they count against the server's breaker.
- 429 `insufficient_quota`, 401/403 (`invalid_api_key`), 404 (no such model): not retried,
  for operators to fix (`operator=True`); they count against the breaker, so a dead key or an
  empty account stops being called for the breaker's reset time.
- 400 `context_length_exceeded` and any other 400 (Ollama answers a request it cannot read
  with `{"error":{"message":"EOF",...}}`): not retried, and the server is healthy, so they do
  not count against the breaker.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import orjson

from stockflow.intel.ports import Completion, LlmError

Sleep = Callable[[float], Awaitable[None]]


def classify(status: int, body: bytes, headers: httpx.Headers | None = None) -> LlmError:
    """The typed error of a non-200 answer, from the OpenAI error envelope where there is one."""
    try:
        err = orjson.loads(body).get("error") or {}
        if not isinstance(err, dict):
            err = {"message": str(err)}
    except (orjson.JSONDecodeError, AttributeError):
        err = {"message": body[:200].decode("utf-8", "replace")}
    code = err.get("code") or err.get("type") or f"http_{status}"
    message = str(err.get("message") or f"HTTP {status}")
    retry_after = _retry_after(headers)
    if status == 429 and code == "insufficient_quota":
        return LlmError(code, message, status=status, operator=True)
    if status == 429:
        return LlmError(str(code), message, status=status, retryable=True,
                        retry_after=retry_after)
    if status in (401, 403, 404):
        return LlmError(str(code), message, status=status, operator=True)
    if status >= 500:
        return LlmError(str(code), message, status=status, retryable=True)
    if status == 400 and code == "context_length_exceeded":
        return LlmError(code, message, status=status, counts=False)
    return LlmError(str(code) if err.get("code") else "bad_request", message, status=status,
                    counts=False, operator=True)


def _retry_after(headers: httpx.Headers | None) -> float | None:
    raw = headers.get("retry-after") if headers is not None else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


class OpenAICompatible:
    def __init__(self, base_url: str, *, api_key: str | None, model: str, timeout: float,
                 retries: int, stream: bool = False, max_tokens: int = 600,
                 temperature: float = 0.0, backoff_base: float = 0.5, backoff_cap: float = 8.0,
                 sleep: Sleep = asyncio.sleep, transport: httpx.AsyncBaseTransport | None = None,
                 ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.retries = retries
        self.stream = stream
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        # Pauses are wall time whatever clock the platform keeps: the server's limits are.
        self.sleep = sleep
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.AsyncClient(timeout=timeout, headers=headers, transport=transport)

    async def close(self) -> None:
        await self.http.aclose()

    async def complete(self, messages: Sequence[dict[str, str]]) -> Completion:
        """One answer, retried on what retrying can help; the last error is raised."""
        attempt = 0
        while True:
            try:
                return await self._once(messages)
            except LlmError as e:
                if not e.retryable or attempt >= self.retries:
                    raise
                pause = random.random() * min(self.backoff_cap, self.backoff_base * 2 ** attempt)
                if e.retry_after is not None:
                    pause = min(self.backoff_cap, max(pause, e.retry_after))
                attempt += 1
                await self.sleep(pause)

    def _request(self, messages: Sequence[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": list(messages),
                                "temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.stream:
            body |= {"stream": True, "stream_options": {"include_usage": True}}
        return body

    async def _once(self, messages: Sequence[dict[str, str]]) -> Completion:
        try:
            if self.stream:
                return await self._streamed(messages)
            resp = await self.http.post(self.url, json=self._request(messages))
        except httpx.TimeoutException as e:
            raise LlmError("timeout", str(e) or "no answer in time", retryable=True) from e
        except httpx.TransportError as e:
            raise LlmError("unreachable", str(e) or type(e).__name__, retryable=True) from e
        if resp.status_code != 200:
            raise classify(resp.status_code, resp.content, resp.headers)
        return parse_completion(resp.content, self.model)

    async def _streamed(self, messages: Sequence[dict[str, str]]) -> Completion:
        async with self.http.stream("POST", self.url, json=self._request(messages)) as resp:
            if resp.status_code != 200:
                raise classify(resp.status_code, await resp.aread(), resp.headers)
            return await parse_stream(resp.aiter_lines(), self.model)


def parse_completion(raw: bytes, model: str) -> Completion:
    try:
        body = orjson.loads(raw)
        choice = body["choices"][0]
        text = choice["message"].get("content") or ""
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as e:
        raise LlmError("bad_response", f"not a chat completion: {e!r}") from e
    usage = body.get("usage") or {}
    return Completion(text, body.get("model") or model, int(usage.get("prompt_tokens") or 0),
                      int(usage.get("completion_tokens") or 0), choice.get("finish_reason"),
                      streamed=False)


async def parse_stream(lines: Any, model: str) -> Completion:
    """Server-sent events: `data: {chunk}` lines until `data: [DONE]`; the usage arrives in
    a last chunk with no choices when `stream_options.include_usage` was asked for."""
    parts: list[str] = []
    usage: dict[str, Any] = {}
    finish, seen_model, done = None, model, False
    async for line in lines:
        if not line.startswith("data:"):
            continue        # blank separators, comments (": keep-alive"), event names
        data = line[5:].strip()
        if data == "[DONE]":
            done = True
            break
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            raise LlmError("bad_response", f"an event is not JSON: {data[:80]!r}") from e
        if "error" in chunk:
            err = chunk["error"] or {}
            raise LlmError(str(err.get("code") or "stream_error"), str(err.get("message")),
                           retryable=True)
        seen_model = chunk.get("model") or seen_model
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            parts.append((choice.get("delta") or {}).get("content") or "")
            finish = choice.get("finish_reason") or finish
    if not done and finish is None:
        raise LlmError("stream_cut", "the stream ended before its last event", retryable=True)
    return Completion("".join(parts), seen_model, int(usage.get("prompt_tokens") or 0),
                      int(usage.get("completion_tokens") or 0), finish, streamed=True)


def make_writer(url: str, **options: Any) -> OpenAICompatible:
    """The registry's factory: `url` is the server's /v1 base URL."""
    return OpenAICompatible(url, **options)
