"""The OpenAI-compatible client over real local HTTP serving OpenAI's and Ollama's recorded
bodies: a completion, a streamed SSE transcript, and each error mapped to its outcome (retry,
count against the breaker or not, operator's problem)."""

from __future__ import annotations

import json

import pytest

from stockflow.adapters.llm.openai_compat import LlmError, OpenAICompatible
from tests.providers.conftest import PAYLOADS, payload_json

pytestmark = pytest.mark.asyncio
PATH = "/v1/chat/completions"
ASK = [{"role": "user", "content": "What's the weather like in SF?"}]


def client(vendor, **options) -> tuple[OpenAICompatible, list[float]]:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    options = {"api_key": "sk-test", "model": "gpt-4o-2024-08-06", "timeout": 2.0,
               "retries": 2, "backoff_base": 0.01, "sleep": sleep, **options}
    return OpenAICompatible(vendor.url + "/v1", **options), pauses


async def test_completion_text_usage_and_request(vendor) -> None:
    vendor.route(PATH, "openai/chat_completions_gpt-4o-2024-08-06_recorded.json", method="POST")
    llm, _ = client(vendor)
    answer = await llm.complete(ASK)
    await llm.close()
    recorded = payload_json("openai/chat_completions_gpt-4o-2024-08-06_recorded.json")
    assert answer.text == recorded["choices"][0]["message"]["content"]
    assert (answer.prompt_tokens, answer.completion_tokens) == (
        recorded["usage"]["prompt_tokens"], recorded["usage"]["completion_tokens"])
    assert answer.model == "gpt-4o-2024-08-06" and not answer.streamed
    sent = vendor.last
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.json()["messages"] == ASK and "stream" not in sent.json()


async def test_spec_example_with_detailed_usage(vendor) -> None:
    vendor.route(PATH, "openai/chat_completions_spec_example.json", method="POST")
    llm, _ = client(vendor)
    answer = await llm.complete(ASK)
    await llm.close()
    assert answer.text == "Hello! How can I assist you today?"
    assert (answer.prompt_tokens, answer.completion_tokens, answer.model) == (19, 10, "gpt-5.4")


async def test_streamed_transcript_joins_deltas_and_reads_the_usage_chunk(vendor) -> None:
    name = "openai/chat_completions_stream_gpt-4o-2024-08-06_recorded.sse"
    vendor.route(PATH, name, method="POST", headers={"Content-Type": "text/event-stream"})
    llm, _ = client(vendor, stream=True)
    answer = await llm.complete(ASK)
    await llm.close()
    events = [json.loads(line[6:]) for line in (PAYLOADS / name).read_text().splitlines()
              if line.startswith("data: {")]
    expected = "".join(c["choices"][0]["delta"].get("content") or "" for c in events
                       if c["choices"])
    usage = next(c["usage"] for c in events if c.get("usage"))
    assert answer.text == expected and answer.text.startswith("I'm unable to provide")
    assert (answer.prompt_tokens, answer.completion_tokens) == (usage["prompt_tokens"],
                                                                usage["completion_tokens"])
    assert answer.streamed and answer.finish_reason == "stop"
    body = vendor.last.json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(("fixture", "status", "code", "counts", "operator"), [
    ("error_429_insufficient_quota.json", 429, "insufficient_quota", True, True),
    ("error_429_insufficient_quota_with_docs_link.json", 429, "insufficient_quota", True, True),
    ("error_401_invalid_api_key.json", 401, "invalid_api_key", True, True),
    ("error_400_context_length_exceeded.json", 400, "context_length_exceeded", False, False),
    ("ollama_v1_chat_completions_400_no_body_EOF.json", 400, "bad_request", False, True),
])
async def test_errors_that_retrying_cannot_help_are_not_retried(vendor, fixture, status, code,
                                                                counts, operator) -> None:
    vendor.route(PATH, f"openai/{fixture}", method="POST", status=status)
    llm, pauses = client(vendor)
    with pytest.raises(LlmError) as caught:
        await llm.complete(ASK)
    await llm.close()
    e = caught.value
    assert (e.code, e.status, e.counts, e.operator, e.retryable) == (code, status,
                                                                     counts, operator, False)
    assert len(vendor.requests) == 1 and pauses == []


async def test_rate_limit_is_retried_with_backoff_honouring_retry_after(vendor) -> None:
    vendor.route(PATH, "openai/error_429_rate_limit_exceeded_tpm_request_too_large.json",
                 method="POST", status=429, headers={"Retry-After": "1.5"})
    llm, pauses = client(vendor, retries=2)
    with pytest.raises(LlmError) as caught:
        await llm.complete(ASK)
    await llm.close()
    assert caught.value.code == "rate_limit_exceeded" and caught.value.retryable
    assert caught.value.counts
    assert len(vendor.requests) == 3 and pauses == [1.5, 1.5]


async def test_server_error_and_timeout_are_retried(vendor) -> None:
    vendor.route(PATH, body={"error": {"message": "overloaded", "type": "server_error"}},
                 method="POST", status=503)
    llm, pauses = client(vendor, retries=1)
    with pytest.raises(LlmError) as caught:
        await llm.complete(ASK)
    assert caught.value.retryable and len(vendor.requests) == 2 and len(pauses) == 1
    vendor.reset()
    vendor.route(PATH, "openai/chat_completions_spec_example.json", method="POST", delay=1.0)
    slow, _ = client(vendor, retries=0, timeout=0.2)
    with pytest.raises(LlmError) as caught:
        await slow.complete(ASK)
    assert caught.value.code == "timeout" and caught.value.retryable
    await llm.close()
    await slow.close()


async def test_a_stream_refused_with_an_error_body_is_classified(vendor) -> None:
    vendor.route(PATH, "openai/error_401_invalid_api_key.json", method="POST", status=401)
    llm, _ = client(vendor, stream=True)
    with pytest.raises(LlmError) as caught:
        await llm.complete(ASK)
    await llm.close()
    assert caught.value.code == "invalid_api_key" and caught.value.operator


async def test_a_cut_stream_is_an_error(vendor) -> None:
    raw = (PAYLOADS / "openai/chat_completions_stream_gpt-4o-2024-08-06_recorded.sse").read_text()
    vendor.route(PATH, body="\n\n".join(raw.split("\n\n")[:5]), method="POST",
                 headers={"Content-Type": "text/event-stream"})
    llm, _ = client(vendor, stream=True, retries=0)
    with pytest.raises(LlmError) as caught:
        await llm.complete(ASK)
    await llm.close()
    assert caught.value.code == "stream_cut"
