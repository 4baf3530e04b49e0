"""A context added from the skeleton (`stockflow._template`) gets its settings, routes,
permissions, jobs, handlers, health entry, tables and migrations with no other file changed:
bootstrap, the app, the job table, the health table and the worker list all loop over modules."""

from __future__ import annotations

import httpx

from stockflow._template.module import MODULE as TEMPLATE
from stockflow.bootstrap import bootstrap
from stockflow.contexts import modules
from stockflow.core.catalogue import QUOTE_UPDATED
from stockflow.entrypoints.http import create_app
from stockflow.jobs.service import JobService
from stockflow.settings import load_settings
from tests.conftest import OPEN_ACCESS

ADMIN = {"X-API-Key": "template-key"}


def settings(tmp_path, **extra):
    return load_settings([*modules(), TEMPLATE], data_dir=tmp_path,
                         simulator={"backfill_on_start": False},
                         services={"live_quotes": False}, log={"level": "WARNING"},
                         auth=OPEN_ACCESS, control={"api_key": "template-key"}, **extra)


async def test_the_skeleton_plugs_in_with_one_list_entry(tmp_path):
    container = bootstrap(settings(tmp_path, template={"top": 3}),
                          modules=[*modules(), TEMPLATE])
    assert container.settings.template.top == 3
    assert "template" in container.plan.workers and "template" in container.plan.services
    assert container.registry.permissions.required("/v1/template/tallies") == "read:quotes"
    assert "template-report" in container.port(JobService).specs
    app = create_app(container, manage_lifecycle=False)
    await container.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            event = QUOTE_UPDATED.event({"ticker": "NVDA", "price": 1.0})
            for _ in range(3):  # a redelivered event is counted once (idempotent by event id)
                await container.bus.publish(QUOTE_UPDATED.name, event)
            await container.bus.publish(QUOTE_UPDATED.name,
                                        QUOTE_UPDATED.event({"ticker": "NVDA", "price": 2.0}))
            await container.bus.drain()
            r = await client.get("/v1/template/tallies")
            assert r.status_code == 200, r.text
            assert r.json()["data"][0] == {"ticker": "NVDA", "updates": 2}
            health = (await client.get("/api/admin/health", headers=ADMIN)).json()["data"]
            assert {"name": "template", "state": "ok"}.items() <= next(
                c for c in health["components"] if c["name"] == "template").items()
            assert (await client.get("/api/admin/template", headers=ADMIN)).status_code == 200
            assert (await client.get("/api/admin/template")).status_code == 401
        run = await container.port(JobService).run("template-report")
        assert run.status == "ok" and run.stats["busiest"][0]["ticker"] == "NVDA"
    finally:
        await container.stop()


async def test_a_disabled_context_is_not_built(tmp_path):
    container = bootstrap(settings(tmp_path, template={"enabled": False}),
                          modules=[*modules(), TEMPLATE])
    assert "template" not in [c.name for c in container.contexts]
    assert container.registry.permissions.required("/v1/template/tallies") is None
