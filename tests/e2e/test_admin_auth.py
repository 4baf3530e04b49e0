"""Every route under /api/admin refuses a missing key, a wrong key and a key in the URL.

The routes are read from the app itself, so a route added later is covered without editing
this file. A credential that must not open the admin API (e.g. a user's JWT) is one more row
in REFUSED.
"""

from __future__ import annotations

import pytest
import pytest_asyncio

from stockflow.control.maintenance import MaintenanceService
from stockflow.entrypoints.http import create_app
from tests.e2e.admin_app import ADMIN, API_KEY, admin_app

# name -> (headers, query string): each must get 401 problem+json on every admin route.
REFUSED = {
    "no key": ({}, ""),
    "wrong key": ({"X-API-Key": "not-the-key"}, ""),
    "wrong key, same length": ({"X-API-Key": "x" * len(API_KEY)}, ""),
    "key in the query": ({}, f"api_key={API_KEY}"),
    "key in the query and the header": (ADMIN, f"apikey={API_KEY}"),
    "bearer instead of the key": ({"Authorization": f"Bearer {API_KEY}"}, ""),
}


def admin_routes(app) -> list[tuple[str, str]]:
    routes = []
    for path, operations in app.openapi()["paths"].items():
        if path == "/api/admin" or path.startswith("/api/admin/"):
            concrete = path.replace("{", "").replace("}", "")  # any value for a parameter
            routes.extend((method.upper(), concrete) for method in operations)
    return sorted(routes)


pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def app_and_client(tmp_path_factory):
    async with admin_app(tmp_path_factory.mktemp("auth")) as pair:
        yield pair


async def test_the_table_sees_every_admin_route(tmp_path):
    from stockflow.bootstrap import bootstrap
    from tests.conftest import make_settings

    routes = admin_routes(create_app(bootstrap(make_settings(tmp_path)),
                                     manage_lifecycle=False))
    assert {("GET", "/api/admin/health"), ("GET", "/api/admin/maintenance"),
            ("GET", "/api/admin/maintenance/on"), ("POST", "/api/admin/maintenance/off"),
            ("GET", "/api/admin/jobs"), ("POST", "/api/admin/jobs/name/run"),
            ("GET", "/api/admin/snapshots/snapshot_id")} <= set(routes)


@pytest.mark.parametrize("case", list(REFUSED))
async def test_refused_on_every_admin_route(app_and_client, case):
    container, client = app_and_client
    headers, query = REFUSED[case]
    routes = admin_routes(create_app(container, manage_lifecycle=False))
    assert routes
    for method, path in routes:
        r = await client.request(method, f"{path}?{query}" if query else path, headers=headers)
        assert r.status_code == 401, (case, method, path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 401
        assert "X-API-Key" in r.headers["www-authenticate"]
    assert not container.port(MaintenanceService).flag.enabled  # no refused call switched anything


async def test_the_key_in_the_header_opens_every_admin_route(app_and_client):
    container, client = app_and_client
    for method, path in admin_routes(create_app(container, manage_lifecycle=False)):
        r = await client.request(method, path, headers=ADMIN)
        assert r.status_code not in (401, 403, 500), (method, path, r.text)
    await container.port(MaintenanceService).set(False, by="test")


async def test_no_configured_key_means_closed(tmp_path):
    async with admin_app(tmp_path, control={"api_key": None}) as (_, client):
        r = await client.get("/api/admin/health", headers={"X-API-Key": ""})
        assert r.status_code == 401
        r = await client.get("/api/admin/health", headers=ADMIN)
        assert r.status_code == 401


async def test_a_users_access_token_opens_no_admin_route(app_and_client):
    """The user's own JWT is no admin credential, even for an enterprise account."""
    container, client = app_and_client
    creds = {"email": "ops-user@example.com", "password": "a long enough passphrase 42"}
    assert (await client.post("/v1/auth/register", json=creds)).status_code == 201
    login = await client.post("/v1/auth/login", json=creds)
    token = login.json()["data"]["access_token"]
    user_id = (await client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
               ).json()["data"]["id"]
    raised = await client.patch(f"/api/admin/users/{user_id}", json={"tier": "enterprise"},
                                headers=ADMIN)
    assert raised.status_code == 200, raised.text
    refreshed = await client.post("/v1/auth/refresh",
                                  json={"refresh_token": login.json()["data"]["refresh_token"]})
    for bearer in (token, refreshed.json()["data"]["access_token"]):
        for method, path in admin_routes(create_app(container, manage_lifecycle=False)):
            r = await client.request(method, path, headers={"Authorization": f"Bearer {bearer}"})
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"
    assert not container.port(MaintenanceService).flag.enabled
