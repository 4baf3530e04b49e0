"""The event catalogue is the one place topic names live, every handler says how it is
idempotent, and what producers publish matches the catalogue's payload models."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import stockflow
from stockflow.bootstrap import bootstrap
from stockflow.core.catalogue import CHANNELS, TOPICS
from stockflow.core.clock import SystemClock
from stockflow.core.module import BY_EVENT_ID
from stockflow.testing.fakes import EventCapture
from tests.conftest import make_settings

ROOT = Path(stockflow.__file__).parent
CATALOGUE = ROOT / "core" / "catalogue.py"


def _literals(path: Path) -> set[str]:
    return {n.value for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_no_topic_or_channel_name_is_written_outside_the_catalogue():
    names = set(TOPICS) | {t.dlq for t in TOPICS.values()} | set(CHANNELS)
    found = {f"{path.relative_to(ROOT)}: {name}"
             for path in ROOT.rglob("*.py") if path != CATALOGUE
             for name in _literals(path) & names}
    assert found == set()


def test_every_handler_declares_how_it_is_idempotent(tmp_path):
    container = bootstrap(make_settings(tmp_path))
    specs = [spec for make in container.registry.workers.values() for spec in make().handlers]
    assert specs, "the pipeline's workers have handlers"
    for spec in specs:
        assert spec.topic.name in TOPICS
        assert spec.idempotency == BY_EVENT_ID or len(spec.idempotency) >= 20, spec


async def test_what_the_running_platform_publishes_matches_the_catalogue(tmp_path):
    container = bootstrap(make_settings(tmp_path, services={"live_quotes": True},
                                        simulator={"backfill_on_start": False,
                                                   "tick_interval_seconds": 0.2}),
                          clock=SystemClock())
    capture = EventCapture()
    for name in TOPICS:
        container.bus.subscribe(name, "catalogue-test", capture)
    await container.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.1)
            if {"market.ticks.raw", "market.ticks.processed",
                    "market.quote.updated"} <= {e.type for e in capture.events}:
                break
    finally:
        await container.stop()
    seen = {e.type for e in capture.events}
    assert {"market.ticks.raw", "market.ticks.processed", "market.quote.updated"} <= seen
    for event in capture.events:
        topic = TOPICS[event.type]
        topic.validate(event)
        assert event.schema_version == topic.version
