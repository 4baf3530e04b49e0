"""The intel context's metrics: briefs by who wrote them, model calls by outcome, the tokens
and the cost they used (for the usage reports to come), and why answers were refused."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class IntelMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = registry or CollectorRegistry()
        self.briefs = Counter("stockflow_intel_briefs", "Briefs generated",
                              ["scope", "generated_by"], registry=r)
        self.cached = Counter("stockflow_intel_briefs_cached",
                              "Briefs answered from the cache", ["scope"], registry=r)
        self.calls = Counter("stockflow_intel_llm_calls", "Model calls by outcome "
                             "(ok, or the error code)", ["model", "outcome"], registry=r)
        self.tokens = Counter("stockflow_intel_llm_tokens", "Tokens used",
                              ["model", "kind"], registry=r)
        self.cost = Counter("stockflow_intel_llm_cost_usd", "Cost of model calls in USD",
                            ["model"], registry=r)
        self.refused = Counter("stockflow_intel_answers_refused",
                               "Model answers the checker refused, by reason", ["reason"],
                               registry=r)
