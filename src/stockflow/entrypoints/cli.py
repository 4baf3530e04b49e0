"""The `stockflow` command: up, serve, worker, db upgrade, backfill, job run/list, users create,
token, mcp."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from stockflow.core.lifecycle import run_settled
from stockflow.entrypoints.search_cli import app as search_app

T = TypeVar("T")
app = typer.Typer(help="StockFlow: market data and research platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.")
app.add_typer(db_app, name="db")
job_app = typer.Typer(help="Scheduled jobs: what a Kubernetes CronJob calls.")
app.add_typer(job_app, name="job")
app.add_typer(search_app, name="search")
users_app = typer.Typer(help="Accounts, from the operator's side (no admin key needed: this "
                             "command holds the database and the signing keys).")
app.add_typer(users_app, name="users")


# How every HTTP process is served; bench/_serve.py uses the same, so the bench measures what
# `stockflow up` runs. "auto" picks uvloop and httptools, which uvicorn[standard] installs where
# they exist (uvloop does not on Windows). Our edge middleware writes the access lines.
# No permessage-deflate on WebSockets: its zlib state costs ~40 KB per connection, and every frame
# would be compressed once per client (frames are shared, compressors are not), for quote frames
# of a few hundred bytes that barely shrink.
UVICORN_OPTIONS: dict[str, Any] = {"loop": "auto", "http": "auto", "log_config": None,
                                   "access_log": False, "timeout_graceful_shutdown": 10,
                                   "ws_per_message_deflate": False}


def uvicorn_options(http: Any) -> dict[str, Any]:
    """UVICORN_OPTIONS plus what the HTTP settings decide. X-Forwarded-For and -Proto are
    believed only from the proxies the operator lists: uvicorn's own default trusts loopback,
    so any local process could pose as any client address and shed its rate limit."""
    proxies = list(http.forwarded_allow_ips)
    return {**UVICORN_OPTIONS, "proxy_headers": bool(proxies),
            "forwarded_allow_ips": ",".join(proxies) if proxies else "",
            "h11_max_incomplete_event_size": http.max_header_bytes}


def _serve(services: list[str] | None, host: str | None, port: int | None) -> None:
    import uvicorn

    from stockflow.bootstrap import bootstrap
    from stockflow.entrypoints.http import create_app
    from stockflow.settings import load_settings

    settings = load_settings()
    if services is not None:
        settings.services.workers = []  # a single service; workers run as `stockflow worker`
    container = bootstrap(settings, services=services)
    http = container.settings.http
    api = create_app(container)
    _exit_cleanly_on_stop_signals()
    config = uvicorn.Config(api, host=host or http.host, port=port or http.port,
                            **uvicorn_options(http))
    server = uvicorn.Server(config)
    # uvicorn.run, with a runner whose exit cannot hang on a task that one cancel leaves alive.
    run_settled(server.serve(), loop_factory=config.get_loop_factory())
    if not server.started:
        raise SystemExit(3)  # uvicorn's status for a server that failed to start


def _exit_cleanly_on_stop_signals() -> None:
    """uvicorn shuts down gracefully, then re-raises the signal to the previous handler; this
    handler turns that into exit status 0, so supervisors see a clean stop, not a kill."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


@app.command()
def up(host: Annotated[str | None, typer.Option(help="Bind address")] = None,
       port: Annotated[int | None, typer.Option(help="Port")] = None) -> None:
    """Start every service and worker in one process (embedded defaults)."""
    _serve(None, host, port)


@app.command()
def serve(name: Annotated[str, typer.Argument(help="Service name, e.g. market-data")],
          host: Annotated[str | None, typer.Option()] = None,
          port: Annotated[int | None, typer.Option()] = None) -> None:
    """Serve one service on its own (with only the parts it needs)."""
    from stockflow.contexts import modules

    known = [s for m in modules() for s in m.services]
    if name not in known:
        raise typer.BadParameter(f"unknown service {name!r}; known: {', '.join(known)}")
    _serve([name], host, port)


@app.command()
def worker(name: Annotated[str, typer.Argument(
        help="ingestion, processor, storage or realtime")]) -> None:
    """Run one pipeline worker on its own (no HTTP), until SIGTERM or Ctrl-C."""
    from stockflow.bootstrap import bootstrap, run_until_stopped
    from stockflow.contexts import modules
    from stockflow.settings import load_settings

    known = [w for m in modules() for w in m.workers]
    if name not in known:
        raise typer.BadParameter(f"unknown worker {name!r}; known: {', '.join(known)}")
    settings = load_settings()
    settings.services.workers = [name]
    settings.jobs.enabled = False  # a pipeline worker does pipeline work; jobs run elsewhere

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_until_stopped(bootstrap(settings, services=()), stop)

    run_settled(run())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations to the configured storage."""
    from stockflow.bootstrap import bootstrap

    async def run() -> None:
        container = bootstrap(services=())
        await container.db.connect()
        try:
            await container.db.migrate([m.migrations for m in container.modules if m.migrations])
        finally:
            await container.db.close()
        typer.echo(f"migrated {container.db.dialect} storage")

    asyncio.run(run())


@app.command()
def backfill(
    tickers: Annotated[str, typer.Option(help="Comma-separated tickers, or 'all'")] = "all",
    years: Annotated[int, typer.Option(min=1, max=20, help="Years of daily bars")] = 5,
    minute_days: Annotated[int, typer.Option(min=1, max=30,
                                             help="Days of intraday bars")] = 5,
) -> None:
    """Load history from the provider into storage, with a progress bar."""
    from rich.progress import Progress

    from stockflow.bootstrap import bootstrap
    from stockflow.market.ports import MarketReader
    from stockflow.market.tasks import Backfill
    from stockflow.settings import load_settings

    async def run() -> int:
        settings = load_settings()
        settings.services.live_quotes = False
        settings.simulator.backfill_on_start = False
        container = bootstrap(settings, services=())
        await container.start()
        market, backfill = container.port(MarketReader), container.port(Backfill)
        try:
            wanted = ([i.ticker for i in market.universe] if tickers == "all"
                      else [market.instrument(t).ticker for t in tickers.split(",")])
            with Progress() as bar:
                task = bar.add_task("backfill", total=len(wanted))

                def advance(ticker: str, written: int) -> None:
                    bar.update(task, advance=1, description=f"{ticker}: {written} bars")

                return await backfill.run(wanted, years=years,
                                                    minute_days=minute_days, progress=advance)
        finally:
            await container.stop()

    written = asyncio.run(run())
    typer.echo(f"{written} bars written")


def _job_settings() -> Any:
    from stockflow.settings import load_settings

    # Only what a job needs: no HTTP, no workers, no scheduler, no start-up backfill.
    settings = load_settings()
    settings.services.live_quotes = False
    settings.services.workers = []
    settings.simulator.backfill_on_start = False
    settings.jobs.enabled = False
    return settings


@job_app.command("run")
def job_run(name: Annotated[str, typer.Argument(help="Job name, see `stockflow job list`")],
            ) -> None:
    """Run one job once, now, under its lock; the run is recorded. Exit status 1 if it failed."""
    import orjson

    from stockflow.bootstrap import bootstrap
    from stockflow.jobs.domain import FAILED
    from stockflow.jobs.service import JobService

    container = bootstrap(_job_settings(), services=())
    jobs = container.port(JobService)
    if name not in jobs.specs:
        raise typer.BadParameter(f"unknown job {name!r}; known: {', '.join(sorted(jobs.specs))}")

    async def run() -> Any:
        await container.start()
        try:
            return await jobs.run(name, "cli")
        finally:
            await container.stop()

    result = asyncio.run(run())
    typer.echo(orjson.dumps(result.to_dict()).decode())
    if result.status == FAILED:
        raise typer.Exit(1)


@job_app.command("list")
def job_list() -> None:
    """Every job with its schedule (settings overrides applied) and next run."""
    from stockflow.bootstrap import bootstrap
    from stockflow.jobs.service import JobService

    # Builds only; no I/O.
    jobs = bootstrap(_job_settings(), configure_logs=False, services=()).port(JobService)
    for job in jobs.describe():
        state = "enabled" if job["enabled"] else "disabled"
        typer.echo(f"{job['name']:<16} {job['cron']:<18} {state:<9} next {job['next_run']}  "
                   f"{job['description']}")


def _with_accounts(use: Callable[[Any], Awaitable[T]]) -> T:
    """Run `use(accounts)` against the configured storage and keys; a problem (a taken email,
    an unknown account) is printed and exits with status 1."""
    from stockflow.bootstrap import bootstrap
    from stockflow.core.problems import Problem
    from stockflow.users.service import AccountService

    settings = _job_settings()
    settings.log.level = "WARNING"  # the answer is what it prints; start-up lines would bury it
    container = bootstrap(settings, services=())

    async def run() -> T:
        await container.start()
        try:
            return await use(container.port(AccountService))
        finally:
            await container.stop()

    try:
        return asyncio.run(run())
    except Problem as e:
        typer.echo(f"error: {e.detail or e.title}", err=True)
        raise typer.Exit(1) from None


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="The account's email")],
    tier: Annotated[str, typer.Option(help="free, pro or enterprise")] = "free",
    password: Annotated[str | None, typer.Option(
        help="8-128 characters; a random one is made and printed when left out")] = None,
    full_name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an account on a tier; prints its id, tier and (if generated) its password."""
    import secrets

    from stockflow.users.domain import Tier

    if tier not in {t.value for t in Tier}:
        raise typer.BadParameter(f"unknown tier {tier!r}; known: free, pro, enterprise")
    if password is not None and not 8 <= len(password) <= 128:
        raise typer.BadParameter("the password needs 8 to 128 characters")
    chosen = password or secrets.token_urlsafe(18)
    user = _with_accounts(lambda accounts: accounts.create(
        email=email, password=chosen, tier=tier, full_name=full_name))
    typer.echo(f"created {user.email} (id {user.id}) on the {user.tier.value} tier")
    if password is None:
        typer.echo(f"password: {chosen}")


@app.command()
def token(email: Annotated[str, typer.Argument(help="The account's email")]) -> None:
    """Print a fresh access token for an account (the operator's shortcut past sign-in):
    `export TOKEN=$(stockflow token EMAIL)`."""
    session = _with_accounts(lambda accounts: accounts.issue_for(email))
    typer.echo(session["access_token"])


@app.command()
def mcp(
    url: Annotated[str, typer.Option(envvar="STOCKFLOW_URL",
                                     help="The StockFlow API the tools call")]
        = "http://127.0.0.1:8000",
    token: Annotated[str | None, typer.Option(
        envvar="STOCKFLOW_TOKEN", show_default=False,
        help="An access token: `stockflow token EMAIL`, or /v1/auth/login")] = None,
) -> None:
    """Serve MCP over stdio for an LLM client: every tool is a call to the API with the token,
    so the account's tier applies. Client configuration: docs/mcp.md."""
    if not token:
        typer.echo("error: stockflow mcp needs an access token: --token or STOCKFLOW_TOKEN "
                   "(`stockflow token EMAIL` prints one)", err=True)
        raise typer.Exit(2)
    from stockflow.mcp.stdio import StartError, serve_stdio

    try:
        asyncio.run(serve_stdio(url, token))
    except StartError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as e:
        # A settings mistake is the operator's to fix: say which setting and why, without the
        # traceback through pydantic that would bury it.
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
                 for err in e.errors()]
        typer.echo("StockFlow cannot start, its settings are invalid:\n" + "\n".join(lines),
                   err=True)
        raise SystemExit(2) from None
