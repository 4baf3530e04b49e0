"""The pipeline context's settings section."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PipelineSettings(BaseModel):
    """The tick pipeline of seed 003."""

    lateness_seconds: float = Field(120.0, ge=0, description="late ticks within this update bars")
    max_future_seconds: float = Field(5.0, ge=0, description="ticks further ahead are rejected")
    symbol_map: dict[str, str] = Field(default_factory=dict, description="raw symbol -> ticker")
    dedup: bool = Field(True, description="idempotent writes; off only for the crash-test control")
    storage_batch_events: int = Field(50, ge=1, description="processed-tick events per write")
    crash_after_commits: int = Field(
        0, ge=0, description="crash drill: the storage worker exits hard after this many commits, "
        "before acknowledging the last batch (0 = never)")
    processor_batch_events: int = Field(64, ge=1)
