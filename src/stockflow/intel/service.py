"""Use cases: a brief for a ticker or the market. The facts are assembled (and cached briefly),
a brief of the same facts version is served from the cache, otherwise the model writes one
that must pass the checker; a refused answer is regenerated once with the reasons, then the
template brief replaces it. Any model failure falls back to the template too."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from stockflow.core.catalogue import INTEL_REPORT
from stockflow.core.ports import Cache, Clock, EventBus
from stockflow.core.resilience import CircuitBreaker, CircuitOpenError
from stockflow.intel import prompt
from stockflow.intel.checker import check
from stockflow.intel.config import IntelSettings
from stockflow.intel.domain import (
    LLM,
    MARKET,
    TEMPLATE,
    Brief,
    FactsBundle,
    Usage,
    bundle_from_wire,
)
from stockflow.intel.facts import FactsAssembler
from stockflow.intel.metrics import IntelMetrics
from stockflow.intel.ports import Completion, LlmError, Writer
from stockflow.intel.template import brief_text

ATTEMPTS = 2   # the first answer and one regeneration
NO_USAGE = Usage()


class IntelService:
    def __init__(self, facts: FactsAssembler, *, writer: Writer | None,
                 breaker: CircuitBreaker | None, cache: Cache, bus: EventBus, clock: Clock,
                 metrics: IntelMetrics, settings: IntelSettings) -> None:
        self.assembler, self.writer, self.breaker = facts, writer, breaker
        self.cache, self.bus, self.clock = cache, bus, clock
        self.metrics, self.s = metrics, settings
        self.last_error: dict[str, Any] | None = None

    # -- facts -----------------------------------------------------------------------------

    async def facts(self, ticker: str) -> FactsBundle:
        t = self.assembler.market.instrument(ticker).ticker
        return await self._facts(f"intel:facts:{t}", lambda: self.assembler.ticker(t))

    async def market_facts(self) -> FactsBundle:
        return await self._facts("intel:facts:market", self.assembler.market_wide)

    async def _facts(self, key: str, make: Callable[[], Awaitable[FactsBundle]]) -> FactsBundle:
        if self.s.facts_seconds:
            hit = await self.cache.get(key)
            if hit is not None:
                return bundle_from_wire(orjson.loads(hit))
        bundle = await make()
        if self.s.facts_seconds:
            await self.cache.set(key, orjson.dumps(bundle.to_wire()), ttl=self.s.facts_seconds)
        return bundle

    # -- briefs ----------------------------------------------------------------------------

    async def brief(self, ticker: str) -> tuple[Brief, FactsBundle, bool]:
        return await self._serve(await self.facts(ticker))

    async def market_brief(self) -> tuple[Brief, FactsBundle, bool]:
        return await self._serve(await self.market_facts())

    async def _serve(self, bundle: FactsBundle) -> tuple[Brief, FactsBundle, bool]:
        """(brief, its facts, whether it came from the cache)."""
        key = f"intel:brief:{bundle.scope}:{bundle.subject}:{bundle.version}"
        hit = await self.cache.get(key) if self.s.cache_seconds else None
        if hit is not None:
            self.metrics.cached.labels(bundle.scope).inc()
            return Brief.from_wire(orjson.loads(hit)), bundle, True
        brief = await self.generate(bundle)
        if self.s.cache_seconds:
            await self.cache.set(key, orjson.dumps(brief.to_wire()), ttl=self.s.cache_seconds)
        self.metrics.briefs.labels(bundle.scope, brief.generated_by).inc()
        await self.bus.publish(INTEL_REPORT.name, INTEL_REPORT.event(
            {"ticker": None if bundle.scope == MARKET else bundle.subject, "scope": bundle.scope,
             "report_id": brief.report_id, "generated_by": brief.generated_by,
             "facts_version": bundle.version}, key=bundle.subject))
        return brief, bundle, False

    async def generate(self, bundle: FactsBundle) -> Brief:
        if self.writer is None:
            return self.template(bundle, "no language model configured")
        usage, rejected, feedback = Usage(), [], None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = await self._ask(prompt.messages(bundle, feedback))
            except CircuitOpenError as e:
                return self.template(bundle, f"language model paused: {e}", attempt - 1,
                                     rejected, usage)
            except LlmError as e:
                return self.template(bundle, f"language model error {e.code}", attempt,
                                     rejected, usage)
            usage = usage + self.account(answer)
            verdict = check(answer.text, bundle)
            if verdict.ok:
                return Brief(uuid.uuid4().hex, bundle.scope, bundle.subject,
                             answer.text.strip(), tuple(verdict.cites), LLM, bundle.version,
                             self.clock.now(), answer.model, attempt, None, tuple(rejected),
                             usage)
            reason = verdict.reason()
            for k in reason:
                self.metrics.refused.labels(k).inc()
            rejected.append({"attempt": attempt, **reason})
            feedback = prompt.feedback(reason)
        return self.template(bundle, "the checker refused both answers", ATTEMPTS, rejected,
                             usage)

    def template(self, bundle: FactsBundle, reason: str, attempts: int = 0,
                 rejected: list[dict[str, Any]] | tuple = (), usage: Usage = NO_USAGE) -> Brief:
        text, cites = brief_text(bundle)
        return Brief(uuid.uuid4().hex, bundle.scope, bundle.subject, text, tuple(cites),
                     TEMPLATE, bundle.version, self.clock.now(), None, attempts, reason,
                     tuple(rejected), usage)

    async def _ask(self, messages: list[dict[str, str]]) -> Completion:
        assert self.writer is not None and self.breaker is not None
        model = self.writer.model
        try:
            answer = await self.breaker.call(
                self.writer.complete, messages,
                is_failure=lambda e: isinstance(e, LlmError) and e.counts)
        except LlmError as e:
            self.metrics.calls.labels(model, e.code).inc()
            self.last_error = {"code": e.code, "status": e.status, "message": e.message[:300],
                               "operator": e.operator, "at": self.clock.now().isoformat()}
            raise
        except CircuitOpenError:
            self.metrics.calls.labels(model, "breaker_open").inc()
            raise
        self.metrics.calls.labels(model, "ok").inc()
        return answer

    def account(self, c: Completion) -> Usage:
        cost = (c.prompt_tokens * self.s.price_input_per_million
                + c.completion_tokens * self.s.price_output_per_million) / 1e6
        self.metrics.tokens.labels(c.model, "prompt").inc(c.prompt_tokens)
        self.metrics.tokens.labels(c.model, "completion").inc(c.completion_tokens)
        self.metrics.cost.labels(c.model).inc(cost)
        return Usage(c.prompt_tokens, c.completion_tokens, cost)

    def status(self) -> dict[str, Any]:
        """For operators: whether a model is used, its breaker and the last failure."""
        if self.writer is None:
            return {"llm": "off", "generated_by": TEMPLATE}
        return {"llm": "on", "model": self.writer.model,
                "breaker": self.breaker.snapshot() if self.breaker else None,
                "last_error": self.last_error}
