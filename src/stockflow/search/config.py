"""Proposed settings section of the search context (STOCKFLOW_SEARCH__*)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SearchSettings(BaseModel):
    enabled: bool = Field(True, description="Build the search service and its event handlers.")
    database_url: str | None = Field(
        None, description="Database holding the index (sqlite:// -> FTS5, postgresql:// -> full "
                          "text). None: the platform's storage database.")
    engine: Literal["auto", "tantivy", "database"] = Field(
        "auto", description="The documents' full-text engine. tantivy: a Tantivy index folder "
        "(index_dir), exact and fast at millions of documents, for processes on one machine; "
        "database: the search database's own (SQLite FTS5, PostgreSQL full text), shared by "
        "processes on many machines; auto: tantivy on a SQLite search database, else database. "
        "Symbols and suggestions stay in the search database either way.")
    index_dir: str = Field("search-index", description="The Tantivy folder, relative to the "
                           "data folder unless absolute.")
    default_limit: int = Field(20, ge=1, le=100, description="Hits per page when none is asked.")
    max_limit: int = Field(100, ge=1, le=1000, description="Largest page a caller may ask for.")
    suggest_limit: int = Field(10, ge=1, le=50, description="Suggestions per autocomplete call.")
    histogram: Literal["day", "week", "month"] = Field(
        "day", description="Bucket width of the news date histogram.")
    news_retention_days: int | None = Field(
        730, ge=1, description="The daily clean-up drops news older than this; None keeps all.")
    free_news_delay_seconds: int = Field(
        900, ge=0, description="Callers without read:news:full see news older than this.")
    rank_window: int | None = Field(
        2_000, ge=100, description="Largest number of matches ranked and counted exactly; a "
        "broader query ranks the most recently indexed this many and estimates its counts "
        "(None: always rank and count every match).")
    reindex_batch_size: int = Field(500, ge=1, le=10_000,
                                    description="Documents written per reindex batch.")
