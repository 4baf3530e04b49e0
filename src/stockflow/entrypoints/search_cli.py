"""`stockflow search ...`: operator commands of the search index (reindex with progress)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

app = typer.Typer(help="Search index commands.", no_args_is_help=True)
_TYPES = ("company", "news", "financials")


@app.command("reindex")
def reindex(
    types: Annotated[list[str] | None, typer.Option(
        "--type", help="company, news or financials; repeat for several (default: all)")] = None,
    restart: Annotated[bool, typer.Option(
        help="Start over instead of resuming an interrupted run")] = False,
) -> None:
    """Rewrite the index from its sources, batch by batch; an interrupted run resumes."""
    from rich.progress import Progress

    from stockflow.bootstrap import bootstrap
    from stockflow.entrypoints.cli import _job_settings
    from stockflow.search.domain import DocType
    from stockflow.search.service import Reindexer, ReindexProgress

    unknown = [t for t in types or () if t not in _TYPES]
    if unknown:
        raise typer.BadParameter(f"unknown type {unknown[0]!r}; known: {', '.join(_TYPES)}")
    wanted = [DocType(t) for t in types] if types else list(DocType)
    container = bootstrap(_job_settings(), services=())

    async def run() -> dict[DocType, int]:
        await container.start()
        try:
            with Progress() as bar:
                tasks = {t: bar.add_task(f"{t.value}", total=None) for t in wanted}

                def advance(p: ReindexProgress) -> None:
                    bar.update(tasks[p.doc_type], completed=p.done, total=p.total,
                               description=f"{p.doc_type.value}: {p.done} documents")

                return await container.port(Reindexer).run(wanted, progress=advance,
                                                           restart=restart)
        finally:
            await container.stop()

    written = asyncio.run(run())
    typer.echo(", ".join(f"{t.value} {n}" for t, n in written.items()) + " documents indexed")
