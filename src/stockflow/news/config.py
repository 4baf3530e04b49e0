"""Settings of the news context (`STOCKFLOW_NEWS__…`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, model_validator


class FeedConfig(BaseModel):
    """One RSS/Atom feed the operator wants polled."""

    url: AnyHttpUrl
    name: str | None = Field(None, description="source name shown on articles; default: host")
    language: Literal["en", "zh", "ja"] | None = Field(
        None, description="force a language instead of detecting it per article")
    poll_interval_s: float = Field(60.0, ge=5.0, description="seconds between polls")
    kind: Literal["rss", "edgar"] = Field(
        "rss", description="edgar: SEC EDGAR Atom, read with its form types and events")


class NewsSettings(BaseModel):
    enabled: bool = True
    feeds: list[FeedConfig] = Field(
        default_factory=list, description="RSS/Atom feeds, a JSON list in STOCKFLOW_NEWS__FEEDS")
    feed_timeout_s: float = Field(10.0, gt=0, description="per-request timeout of a feed poll")
    feed_max_backoff_s: float = Field(
        3600.0, gt=0, description="ceiling of a failing feed's exponential back-off")
    feed_max_bytes: int = Field(5_000_000, gt=0, description="a larger feed body is refused")
    sec_user_agent: str = Field(
        "StockFlow admin@example.com",
        description="SEC EDGAR asks every client to name itself and give a contact address")
    finnhub_api_key: SecretStr | None = None
    sentiment_backend: Literal["linear", "lexicon", "transformer"] = Field(
        "linear", description="English sentiment: shipped model, lexicon, or a local transformer")
    transformer_path: Path | None = Field(
        None, description="folder of a FinBERT-style model for sentiment_backend=transformer")
    dedup_window_hours: float = Field(
        48.0, gt=0, description="near-duplicates are looked for among articles this recent")
    near_duplicate_threshold: float = Field(
        0.5, gt=0, le=1, description="estimated Jaccard similarity of word 3-shingles")
    minhash_permutations: int = Field(64, ge=8)
    lsh_bands: int = Field(16, ge=1, description="must divide minhash_permutations")
    event_announce_confidence: float = Field(
        0.7, ge=0, le=1, description="events at or above this are published as detected")
    retention_days: int = Field(365, ge=1, description="articles older than this are deleted")
    simulated: bool = Field(True, description="write simulated news for the simulated universe")
    simulated_seed: int = 7
    simulated_articles_per_minute: int = Field(
        2, ge=1, le=60, description="background articles a minute across the universe")
    simulated_backfill_hours: float = Field(
        0.0, ge=0, description="simulated news written for this long before start")
    simulated_move_days: int = Field(
        10, ge=1, description="sessions back in which jump days get their story")
    loop_seconds: float = Field(
        1.0, gt=0, description="how often the news worker looks for due sources")
    vendors: list[Literal["polygon", "alphavantage", "finnhub"]] = Field(
        default_factory=list, description="keyed vendors asked for news (their calls count "
        "against the same quota as their quotes, so each is switched on here)")
    vendor_poll_seconds: float = Field(300.0, ge=30, description="seconds between vendor asks")
    vendor_tickers: list[str] = Field(
        default_factory=list, description="tickers asked of vendors that need one (Finnhub)")
    free_delay_seconds: int = Field(
        900, ge=0, description="the free tier sees articles at least this old")
    article_cache_seconds: float = Field(
        300.0, ge=0, description="how long an article stays in the recent-articles cache")
    cleanup_cron: str = Field("30 3 * * *", description="when old articles are deleted (UTC)")

    @model_validator(mode="after")
    def _bands_divide_permutations(self) -> NewsSettings:
        if self.minhash_permutations % self.lsh_bands:
            raise ValueError("lsh_bands must divide minhash_permutations")
        return self

    @model_validator(mode="after")
    def _transformer_is_usable(self) -> NewsSettings:
        # Checked with the settings so a missing model or library stops the start with one
        # message, instead of failing every article once the first one is analysed.
        if self.sentiment_backend == "transformer":
            from stockflow.news.sentiment.transformer import ModelSetupError, read_config

            try:
                read_config(self.transformer_path)
            except ModelSetupError as e:
                raise ValueError(str(e)) from None
        return self

    @property
    def sentiment_model_path(self) -> Path | None:
        """The model the chosen backend reads; None: its own default (the shipped model)."""
        return self.transformer_path if self.sentiment_backend == "transformer" else None
