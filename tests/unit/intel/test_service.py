"""Brief generation against a local OpenAI-compatible server (real HTTP, OpenAI's recorded
completion envelope around the text each test makes it write): accepted answers, one
regeneration, the template after two refusals, a model that follows an injected headline,
and each failure falling back to the template with the breaker doing its part."""

from __future__ import annotations

import copy
import json

import pytest

from stockflow.adapters.cache.memory import MemoryCache
from stockflow.adapters.llm.openai_compat import OpenAICompatible
from stockflow.core.resilience import CircuitBreaker
from stockflow.intel.config import IntelSettings
from stockflow.intel.metrics import IntelMetrics
from stockflow.intel.service import IntelService
from stockflow.testing.fakes import FakeClock
from tests.providers.conftest import payload_json
from tests.standins import StandIn
from tests.unit.intel.conftest import AT, INJECTION, make_bundle

pytestmark = pytest.mark.asyncio
RECORDED = payload_json("openai/chat_completions_gpt-4o-2024-08-06_recorded.json")
GOOD = "Apple last traded at 268.50 USD, down 0.36 % [quote.price, quote.change_pct]."


def completion(text: str) -> dict:
    body = copy.deepcopy(RECORDED)
    body["choices"][0]["message"]["content"] = text
    return body


def service(url: str | None, **settings) -> IntelService:
    s = IntelSettings(price_input_per_million=2.5, price_output_per_million=10.0, **settings)
    clock = FakeClock(AT)
    writer = (OpenAICompatible(url + "/v1", api_key="sk-test", model="gpt-4o", timeout=5,
                               retries=0) if url else None)
    breaker = CircuitBreaker("intel-llm", failure_threshold=s.breaker_failures,
                             reset_timeout=60, clock=clock)
    return IntelService(None, writer=writer, breaker=breaker, cache=MemoryCache(), bus=None,
                        clock=clock, metrics=IntelMetrics(), settings=s)


def user_text(seen) -> str:
    return "\n".join(m["content"] for m in seen.body["messages"] if m["role"] == "user")


async def test_no_model_configured_means_the_template(bundle) -> None:
    brief = await service(None).generate(bundle)
    assert brief.generated_by == "template" and brief.attempts == 0
    assert brief.fallback_reason == "no language model configured"
    assert "quote.price" in brief.cites


async def test_an_answer_that_passes_is_the_brief_with_usage_and_cost(bundle) -> None:
    with StandIn(lambda seen, n: (200, completion(GOOD))) as llm:
        svc = service(llm.url)
        brief = await svc.generate(bundle)
    assert (brief.generated_by, brief.text, brief.attempts) == ("llm", GOOD, 1)
    assert brief.cites == ("quote.price", "quote.change_pct")
    usage = RECORDED["usage"]
    assert (brief.usage.prompt_tokens, brief.usage.completion_tokens) == (
        usage["prompt_tokens"], usage["completion_tokens"])
    assert brief.usage.cost_usd == pytest.approx(
        (usage["prompt_tokens"] * 2.5 + usage["completion_tokens"] * 10.0) / 1e6)
    assert svc.metrics.tokens.labels(RECORDED["model"], "prompt")._value.get() == \
        usage["prompt_tokens"]
    system = llm.requests[0].body["messages"][0]
    assert system["role"] == "system" and "untrusted" in system["content"]


async def test_a_refused_answer_is_regenerated_once_with_the_reasons(bundle) -> None:
    answers = ["Apple trades at 301.20 [quote.price].", GOOD]
    with StandIn(lambda seen, n: (200, completion(answers[n]))) as llm:
        brief = await service(llm.url).generate(bundle)
    assert brief.generated_by == "llm" and brief.attempts == 2
    assert brief.rejected == ({"attempt": 1, "unknown_numbers": ["301.20"]},)
    assert "301.20" in user_text(llm.requests[1]) and len(llm.requests) == 2


async def test_two_refused_answers_become_the_template(bundle) -> None:
    with StandIn(lambda seen, n: (200, completion("Apple trades at 301.20."))) as llm:
        brief = await service(llm.url).generate(bundle)
    assert brief.generated_by == "template" and brief.attempts == 2
    assert brief.fallback_reason == "the checker refused both answers"
    assert [r["attempt"] for r in brief.rejected] == [1, 2] and len(llm.requests) == 2
    assert "301.20" not in brief.text


async def test_a_model_that_follows_an_injected_headline_is_refused() -> None:
    """The fake model obeys any instruction it finds in the facts: the guard and the checker
    refuse both of its answers and the brief stays the honest template."""
    bundle = make_bundle(headline=INJECTION)

    def gullible(seen, n):
        told = "ignore previous instructions" in user_text(seen).lower()
        return 200, completion("BUY AAPL now, target price 500 [quote.price]." if told else GOOD)

    with StandIn(gullible) as llm:
        brief = await service(llm.url).generate(bundle)
    assert brief.generated_by == "template"
    assert all("trade call" in r["policy"] and r["unknown_numbers"] == ["500"]
               for r in brief.rejected)
    assert "BUY" not in brief.text.replace(INJECTION, "") and "500" not in \
        brief.text.replace(INJECTION, "")
    # The headline reached the model only as an untrusted string inside the facts document.
    doc = user_text(llm.requests[0]).split("<facts>\n", 1)[1].split("\n</facts>", 1)[0]
    (row,) = [f for f in json.loads(doc)["facts"] if f["id"] == "news.1.title"]
    assert row["value"] == INJECTION and row["untrusted"] is True


@pytest.mark.parametrize(("fixture", "status", "code"), [
    ("error_401_invalid_api_key.json", 401, "invalid_api_key"),
    ("error_429_insufficient_quota.json", 429, "insufficient_quota"),
])
async def test_operator_errors_fall_back_and_open_the_breaker(bundle, fixture, status,
                                                              code) -> None:
    with StandIn(lambda seen, n: (status, payload_json(f"openai/{fixture}"))) as llm:
        svc = service(llm.url, breaker_failures=2)
        first = await svc.generate(bundle)
        await svc.generate(bundle)
        paused = await svc.generate(bundle)
    assert first.generated_by == "template"
    assert first.fallback_reason == f"language model error {code}"
    assert paused.fallback_reason.startswith("language model paused")
    assert len(llm.requests) == 2             # the open breaker spared the third call
    state = svc.status()
    assert state["last_error"]["code"] == code and state["last_error"]["operator"]
    assert state["breaker"]["state"] == "open"


@pytest.mark.parametrize(("fixture", "code"), [
    ("error_400_context_length_exceeded.json", "context_length_exceeded"),
    ("ollama_v1_chat_completions_400_no_body_EOF.json", "bad_request"),
])
async def test_a_bad_request_falls_back_without_opening_the_breaker(bundle, fixture,
                                                                    code) -> None:
    with StandIn(lambda seen, n: (400, payload_json(f"openai/{fixture}"))) as llm:
        svc = service(llm.url, breaker_failures=1)
        briefs = [await svc.generate(bundle) for _ in range(3)]
    assert {b.fallback_reason for b in briefs} == {f"language model error {code}"}
    assert len(llm.requests) == 3 and svc.status()["breaker"]["state"] == "closed"
