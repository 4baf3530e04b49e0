"""The skeleton context's declaration: settings section, build, routers with their guards, jobs,
health, a worker with its handlers, tables and migrations. Copy this package to start one."""

from __future__ import annotations

from typing import Any

from stockflow._template.config import TemplateSettings
from stockflow.core.health import OK
from stockflow.core.module import ContextModule, ContextParts, Plan, Platform, Worker

SERVICE = "template"


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow._template import api, handlers, tasks
    from stockflow._template.repository import SqlTallyStore
    from stockflow._template.service import TallyService

    s = p.settings.template
    tallies = TallyService(SqlTallyStore(p.db))

    async def health() -> tuple[str, Any]:
        return OK, {"tracked": len(await tallies.top(100))}

    parts = ContextParts(
        "template", ports={TallyService: tallies}, guards=list(api.GUARDS),
        admin_routers=[api.admin_router], jobs=tasks.jobs(tallies, s.top),
        health={"template": health},
        workers={"template": lambda: Worker("template", handlers=handlers.handlers(tallies))})
    if plan.serves(SERVICE):
        parts.routers.append(api.router)
    return parts


MODULE = ContextModule(
    name="template",
    build=build,
    settings={"template": TemplateSettings},
    services=(SERVICE,),
    workers=("template",),
    tables="stockflow._template.tables",
    migrations="stockflow._template.migrations",
    enabled=lambda settings: settings.template.enabled,
)
