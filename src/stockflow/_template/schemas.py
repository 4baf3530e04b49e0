"""Wire models of the context's routes (they make the OpenAPI description)."""

from __future__ import annotations

from pydantic import BaseModel


class TallyOut(BaseModel):
    ticker: str
    updates: int


class TalliesEnvelope(BaseModel):
    data: list[TallyOut]
    meta: dict[str, object]
