"""Wire models of the intel routes (they make the OpenAPI description)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FactOut(BaseModel):
    id: str
    name: str
    value: Any
    unit: str
    source: str
    as_of: str | None


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class BriefOut(BaseModel):
    report_id: str
    scope: str
    subject: str
    text: str
    cites: list[str]
    generated_by: str
    facts_version: str
    generated_at: str
    model: str | None
    attempts: int
    fallback_reason: str | None
    rejected: list[dict[str, Any]]
    usage: UsageOut
    cached: bool
    facts: list[FactOut]
    missing: list[str]


class BriefEnvelope(BaseModel):
    data: BriefOut
    meta: dict[str, object]
