"""The interactive API page (`/docs`) with Swagger UI served from the installed package, so it
works offline: FastAPI's default page loads its scripts and styles from a CDN."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """`/docs` and its assets under `/docs/assets`: Swagger UI 5 (OpenAPI 3.1, which FastAPI
    writes) as the `fastapi-offline` package ships it (MIT; Swagger UI itself Apache-2.0, see
    docs/licences.md). The app must be made with `docs_url=None`."""
    from importlib.resources import files

    static = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(static)), name="swagger-ui")
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} API"

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png")

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
