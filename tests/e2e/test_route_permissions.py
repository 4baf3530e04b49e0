"""Every /v1, /internal and /api route of the built app (bar /api/admin and /api/health), every method, every kind of caller: the edge
admits or refuses exactly as the compiled permission table says.

Routes are read from the app itself, so a route a context adds later is covered without editing
this file; one no context declares must come out refused for everyone.
"""

from __future__ import annotations

import pytest
import pytest_asyncio
from starlette.routing import WebSocketRoute

from stockflow.core.permissions import ACCOUNT, OPERATOR, PUBLIC, is_guarded
from stockflow.entrypoints.fastpath import flat_routes
from stockflow.entrypoints.http import create_app
from stockflow.users.domain import Tier, permissions_for
from tests.e2e.users_support import ADMIN_KEY, container_with, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="session")
CALLERS = ("anonymous", "free", "pro", "enterprise", "operator")


def guarded_routes(app) -> list[tuple[str, str]]:
    """(method, concrete path) of every guarded route, WebSocket handshakes as GET."""
    out = set()
    for path, methods, route in flat_routes(app.router.routes):
        if not is_guarded(path):
            continue
        methods = {"GET"} if isinstance(route, WebSocketRoute) else methods - {"HEAD"}
        concrete = path.replace("{", "").replace("}", "")
        out.update((m, concrete) for m in methods)
    return sorted(out)


def expected(needs: str | None, caller: str) -> bool:
    """Whether the edge lets `caller` through to a path that needs `needs`."""
    if needs == PUBLIC:
        return True
    if needs == OPERATOR:
        return caller == "operator"
    if needs is None:
        return False  # undeclared: nobody
    if caller in ("anonymous", "operator"):  # the operator key is no user token  # anonymous callers get the free tier here
        return needs != ACCOUNT and needs in permissions_for(Tier.FREE)
    return needs == ACCOUNT or needs in permissions_for(Tier(caller))


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(tmp_path_factory):
    async with container_with(tmp_path_factory.mktemp("perm"), "memory",
                        settings={"control": {"api_key": ADMIN_KEY}}) as (container, client):
        headers = {"anonymous": {}, "operator": {"X-API-Key": ADMIN_KEY}}
        headers["free"] = (await sign_up(client)).headers
        for tier in ("pro", "enterprise"):
            headers[tier] = (await sign_up(client, tier=tier)).headers
        yield container, client, headers


async def test_every_guarded_route_is_admitted_or_refused_as_declared(world):
    container, client, headers = world
    table = container.registry.permissions
    routes = guarded_routes(create_app(container, manage_lifecycle=False))
    assert len(routes) > 20
    undeclared = [(m, p) for m, p in routes if table.required(p) is None]
    assert undeclared == [], "every route must declare who may call it"
    for method, path in routes:
        needs = table.required(path)
        for caller in CALLERS:
            r = await client.request(method, path, headers=headers[caller])
            refused = r.status_code in (401, 403)
            assert refused != expected(needs, caller), (method, path, caller, needs, r.text)
            if refused:
                assert r.headers["content-type"] == "application/problem+json"
                want = 401 if caller in ("anonymous", "operator") else 403
                if needs == ACCOUNT and caller == "anonymous":
                    want = 401
                assert r.status_code == want, (method, path, caller, r.status_code)


async def test_a_path_nobody_declares_is_refused_for_every_caller(world):
    _, client, headers = world
    for path in ("/v1/nothing-declared", "/v1/quotesx/AAPL", "/internal/anything",
                 "/api/nothing-declared", "/api/signalsx/AAPL"):
        for caller in CALLERS:
            r = await client.get(path, headers=headers[caller])
            assert r.status_code in (401, 403), (path, caller, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"


async def test_api_routes_are_guarded_except_the_controllers(world):
    container, client, headers = world
    routes = guarded_routes(create_app(container, manage_lifecycle=False))
    assert any(p.startswith("/api/signals/") for _, p in routes)
    assert not any(p.startswith(("/api/admin", "/api/health")) for _, p in routes)
    assert (await client.get("/api/health")).status_code == 200
    # /api/admin keeps its own check: the operator key, not a user's token.
    assert (await client.get("/api/admin/jobs", headers=headers["pro"])).status_code == 401
    assert (await client.get("/api/admin/jobs", headers=headers["operator"])).status_code == 200
