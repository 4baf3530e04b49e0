"""The bounded contexts StockFlow runs, in build order: a context may use the ports of those
before it. Adding a context is a new package with a `module.py` plus one line here."""

from __future__ import annotations

import importlib
from functools import cache

from stockflow.core.module import ContextModule

CONTEXTS = (
    "stockflow.market.module",
    "stockflow.pipeline.module",
    "stockflow.users.module",
    # Before news: the simulated news quotes the analysis context's quarterly results.
    "stockflow.analysis.module",
    "stockflow.news.module",
    "stockflow.predict.module",
    "stockflow.search.module",
    "stockflow.alerts.module",
    "stockflow.signals.module",
    "stockflow.intel.module",
    "stockflow.mcp.module",
    "stockflow.jobs.module",
    "stockflow.control.module",
)


@cache
def modules() -> tuple[ContextModule, ...]:
    return tuple(importlib.import_module(path).MODULE for path in CONTEXTS)
