"""The context's settings section (`STOCKFLOW_TEMPLATE__...`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TemplateSettings(BaseModel):
    enabled: bool = True
    top: int = Field(5, ge=1, le=100, description="tickers the report job lists")
