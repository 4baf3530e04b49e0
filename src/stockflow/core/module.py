"""What a bounded context gives the platform, and what the platform gives a context.

Every context has a `module.py` that exports `MODULE`, a `ContextModule`: its settings sections,
the HTTP services it serves, and `build(platform, plan)`, which constructs its objects (no I/O)
and returns `ContextParts`: routers with their permissions, fast routes, edge layers, jobs,
health checks, workers with their event handlers, background loops, start/stop hooks and the
ports it offers other contexts. `bootstrap()` is a loop over the ordered module list in
`stockflow.contexts`; the HTTP app, the job table, the health table and the worker list are
all derived from what the modules return.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from stockflow.core.catalogue import Topic
from stockflow.core.jobs import JobSpec
from stockflow.core.ports import Cache, Clock, Database, EventBus, PubSub

if TYPE_CHECKING:
    from fastapi import APIRouter
    from starlette.types import ASGIApp

    from stockflow.core.fastroute import FastRoute
    from stockflow.core.idempotency import IdempotencyStore
    from stockflow.core.metrics import Metrics
    from stockflow.core.permissions import Guard, PermissionTable

T = TypeVar("T")
Hook = Callable[[], Awaitable[None]]
# A component check returns (state, detail); raising or timing out makes the component "down".
Check = Callable[[], Awaitable[tuple[str, Any]]]
ReadyCheck = Callable[[], Awaitable[dict[str, str]]]
# A readiness entry that is usable now and still being completed in the background (the deep
# history behind the recent days): ready, and said so.
FILLING = "filling"
READY_STATES = ("ok", "ready", FILLING)


class Runnable(Protocol):
    name: str

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


# How a handler is made safe against the bus delivering an event twice (SPEC: consumers are
# idempotent by event id). Every handler declares one: either the idempotency store wraps it,
# or its side effect is idempotent by construction and the spec says why.
BY_EVENT_ID = "event-id"


@dataclass(frozen=True)
class HandlerSpec:
    """One row of a context's handler table: the bus subscription is made from it."""

    topic: Topic
    group: str
    handler: Callable[..., Awaitable[None]]
    # Either BY_EVENT_ID (wrapped with the idempotency store) or the reason the side effect is
    # idempotent by itself, e.g. "upsert on the tick identity".
    idempotency: str
    batch: bool = False
    max_batch: int = 500
    max_wait: float = 0.05


@dataclass
class Worker:
    """A named unit of work a process may run (`stockflow worker NAME`): event handlers,
    plus loops that run beside them."""

    name: str
    handlers: list[HandlerSpec] = field(default_factory=list)
    loops: list[Runnable] = field(default_factory=list)
    unit: Any = None  # the object doing the work, for operators and tests to inspect


@dataclass(frozen=True)
class EdgeLayer:
    """A pure-ASGI step of the HTTP edge. Layers wrap the app in ascending `order`, so a higher
    order runs earlier on a request (e.g. maintenance 20 before auth 10)."""

    order: int
    wrap: Callable[[ASGIApp, Ports], ASGIApp]


@dataclass
class ContextParts:
    """Everything one context contributes, as built for one process."""

    name: str
    ports: dict[type, object] = field(default_factory=dict)
    routers: list[APIRouter] = field(default_factory=list)
    admin_routers: list[APIRouter] = field(default_factory=list)  # paths under /api/admin
    guards: list[Guard] = field(default_factory=list)
    fast_routes: list[FastRoute] = field(default_factory=list)
    edge: list[EdgeLayer] = field(default_factory=list)
    jobs: list[JobSpec] = field(default_factory=list)
    health: dict[str, Check] = field(default_factory=dict)
    workers: dict[str, Callable[[], Worker]] = field(default_factory=dict)
    background: list[Runnable] = field(default_factory=list)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    ready: list[ReadyCheck] = field(default_factory=list)
    # Called once every context is built and the registry is filled (still no I/O).
    on_built: list[Callable[[Registry], None]] = field(default_factory=list)


class Ports:
    """The ports contexts offer each other, by Protocol type. A context reads only what earlier
    contexts in the list have published; asking for a missing one fails at bootstrap."""

    def __init__(self) -> None:
        self._by_type: dict[type, object] = {}

    def publish(self, kind: type, impl: object) -> None:
        if kind in self._by_type:
            raise ValueError(f"port {kind.__name__} is published twice")
        self._by_type[kind] = impl

    def get(self, kind: type[T]) -> T:
        try:
            return self._by_type[kind]  # type: ignore[return-value]
        except KeyError:
            raise LookupError(f"no context publishes {kind.__name__}; is the context that owns "
                              "it listed before the one that needs it?") from None

    def find(self, kind: type[T]) -> T | None:
        return self._by_type.get(kind)  # type: ignore[return-value]


@dataclass
class Registry:
    """What the platform collects from every context once all are built. Contexts that serve
    the collection (the scheduler, the health service, the edge) hold these objects and read
    them at run time, so they see contexts built after them."""

    jobs: dict[str, JobSpec] = field(default_factory=dict)
    health: dict[str, Check] = field(default_factory=dict)
    workers: dict[str, Callable[[], Worker]] = field(default_factory=dict)
    running_workers: dict[str, Worker] = field(default_factory=dict)
    permissions: PermissionTable | None = None


@dataclass
class Platform:
    """The core parts every context may use, made by bootstrap from the platform settings."""

    settings: Any
    clock: Clock
    metrics: Metrics
    db: Database
    bus: EventBus
    cache: Cache
    pubsub: PubSub
    idempotency: IdempotencyStore
    ports: Ports
    registry: Registry
    instance: str  # this process: host, pid and a suffix (two platforms in one process differ)


@dataclass(frozen=True)
class Plan:
    """What this process runs: HTTP services, workers and the scheduler."""

    services: frozenset[str]  # empty: no HTTP
    workers: frozenset[str]
    scheduler: bool

    def serves(self, service: str) -> bool:
        return service in self.services

    def runs(self, worker: str) -> bool:
        return worker in self.workers

    @property
    def http(self) -> bool:
        return bool(self.services)


# The HTTP service that serves every context's admin routes under /api/admin.
ADMIN_SERVICE = "controller"

SettingsSection = type | tuple[Any, Callable[[], Any]]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per context
class ContextModule:
    """A context's declaration. `settings` maps section names of the one settings tree to their
    model (or to (annotation, default factory)); `tables` names the module whose tables the
    context owns on the shared metadata; `services` the HTTP services it serves."""

    name: str
    build: Callable[[Platform, Plan], ContextParts]
    settings: dict[str, SettingsSection] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    workers: tuple[str, ...] = ()
    tables: str | None = None
    # Folder (a package path) of the context's own Alembic revisions, beside the platform's.
    migrations: str | None = None
    enabled: Callable[[Any], bool] = lambda settings: True
    # Cross-field settings rules of the context, run when the settings tree is validated.
    resolve: Callable[[Any], None] | None = None


def collect(parts: Iterable[ContextParts], registry: Registry) -> None:
    """Fill the registry from built contexts; a name declared twice is a wiring error."""
    for p in parts:
        for table, items in ((registry.jobs, {j.name: j for j in p.jobs}),
                             (registry.health, p.health), (registry.workers, p.workers)):
            clash = set(table) & set(items)
            if clash:
                raise ValueError(f"context {p.name} redeclares {sorted(clash)}")
            table.update(items)


def make_plan(settings: Any, modules: Sequence[ContextModule],
              services: Iterable[str] | None) -> Plan:
    """What this process runs. `services` None: every HTTP service; () : no HTTP."""
    known_services = {s for m in modules for s in m.services}
    chosen = set(known_services if services is None else services)
    unknown = chosen - known_services
    if unknown:
        raise ValueError(f"unknown services: {sorted(unknown)}; known: {sorted(known_services)}")
    known_workers = {w for m in modules for w in m.workers}
    wanted = settings.services.workers
    workers = set(known_workers if wanted is None else wanted)
    if workers - known_workers:
        raise ValueError(f"unknown workers: {sorted(workers - known_workers)}; "
                         f"known: {sorted(known_workers)}")
    return Plan(services=frozenset(chosen), workers=frozenset(workers),
                scheduler=settings.jobs.enabled)
