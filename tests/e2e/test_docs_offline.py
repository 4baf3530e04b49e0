"""`/docs` works offline: Swagger UI's page names only this server's URLs, each of them loads,
and a headless Chromium that may reach nothing else renders the API's title."""

from __future__ import annotations

import re
import shutil
from urllib.parse import urlsplit

import httpx

from stockflow.bootstrap import bootstrap
from stockflow.testing.services import skip_or_fail
from tests.conftest import make_settings, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REFERENCE = re.compile(r"""(?:src|href)=["']([^"']+)["']|url:\s*'([^']+)'""")


async def test_docs_reference_only_local_urls_and_each_loads(market_app):
    _, client = market_app
    page = await client.get("/docs")
    assert page.status_code == 200
    urls = [a or b for a, b in REFERENCE.findall(page.text)]
    assert urls, page.text
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url
        asset = await client.get(url)
        assert asset.status_code == 200 and asset.content, url
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
            "/openapi.json"} <= set(urls)


async def test_docs_render_in_a_browser_that_cannot_reach_the_internet(tmp_path):
    if CHROMIUM is None:
        skip_or_fail("needs a system Chromium (apt-get install chromium; .ci/run installs it)")
    from playwright.async_api import async_playwright

    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False}))
    async with serving(container) as ws_url:
        base = ws_url.replace("ws://", "http://").removesuffix("/v1/stream/quotes")
        host = urlsplit(base).netloc
        refused: list[str] = []
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM,
                                               args=["--no-sandbox"])
            try:
                page = await browser.new_page()

                async def offline(route) -> None:
                    if urlsplit(route.request.url).netloc == host:
                        await route.continue_()
                    else:
                        refused.append(route.request.url)
                        await route.abort()

                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.route("**/*", offline)
                await page.goto(f"{base}/docs")
                title = page.locator(".swagger-ui .info .title")
                try:
                    await title.wait_for(timeout=30_000)
                except Exception as e:
                    raise AssertionError(f"not rendered; page errors {errors}") from e
                assert "StockFlow" in await title.inner_text()
                assert await page.locator(".opblock").count() > 10  # the routes are listed
            finally:
                await browser.close()
        assert refused == []
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/redoc")).status_code == 404  # ReDoc would need a CDN
