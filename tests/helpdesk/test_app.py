"""The application factory: health, metrics, error pages, security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from helpdesk.app import create_app
from helpdesk.config import Settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade

Client = Callable[..., Awaitable[TestClient[Any, Any]]]

HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")
TOKEN = "metrics-token-for-the-tests-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[web.Application]:
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    application = create_app(replace(settings, metrics_token=TOKEN))

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internal detail")

    application.router.add_get("/boom", boom)
    return application


async def test_healthz_ok(aiohttp_client: Client, app: web.Application) -> None:
    """/healthz answers 200 when the database answers."""
    client = await aiohttp_client(app)
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "database": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"


async def test_healthz_reports_a_dead_database(
    aiohttp_client: Client, settings: Settings, tmp_path: Path
) -> None:
    """/healthz answers 503 when the database cannot be opened."""
    broken = replace(
        settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"
    )
    client = await aiohttp_client(create_app(broken))
    resp = await client.get("/healthz")
    assert resp.status == 503
    assert await resp.json() == {"status": "error", "database": "unreachable"}


async def test_metrics_in_prometheus_format(aiohttp_client: Client, app: web.Application) -> None:
    """/metrics serves the Prometheus text format, counting requests by route."""
    client = await aiohttp_client(app)
    await client.get("/healthz")
    await client.get("/no/such/page")
    resp = await client.get("/metrics", headers=SCRAPE)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    body = await resp.text()
    assert 'helpdesk_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in body
    assert 'route="unmatched",status="404"' in body
    assert "helpdesk_build_info" in body


async def test_two_apps_do_not_share_metrics(aiohttp_client: Client, settings: Settings) -> None:
    """Each app has its own registry: no global state between instances."""
    scraped = replace(settings, metrics_token=TOKEN)
    first, second = create_app(scraped), create_app(scraped)
    c1, c2 = await aiohttp_client(first), await aiohttp_client(second)
    await c1.get("/metrics", headers=SCRAPE)
    body = await (await c2.get("/metrics", headers=SCRAPE)).text()
    assert 'route="/metrics"' not in body


@pytest.mark.parametrize(
    ("accept_language", "title"),
    [
        ("fr-FR,fr;q=0.9", "Page introuvable"),
        ("en-GB,en;q=0.8", "Page not found"),
        ("de", "Page introuvable"),
    ],
)
async def test_404_page_in_the_visitor_language(
    aiohttp_client: Client, app: web.Application, accept_language: str, title: str
) -> None:
    """Unknown pages get a 404 page in French or English."""
    client = await aiohttp_client(app)
    resp = await client.get("/nope", headers={"Accept-Language": accept_language})
    assert resp.status == 404
    assert resp.content_type == "text/html"
    assert title in await resp.text()


async def test_405_page(aiohttp_client: Client, app: web.Application) -> None:
    """A wrong method gets the 405 page, not a stack trace."""
    client = await aiohttp_client(app)
    resp = await client.post("/healthz", headers={"Accept-Language": "en"})
    assert resp.status == 405
    assert "Method not allowed" in await resp.text()


async def test_500_page_reveals_nothing(
    aiohttp_client: Client, app: web.Application, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error is logged and becomes a 500 page without internals."""
    client = await aiohttp_client(app)
    resp = await client.get("/boom", headers={"Accept-Language": "en"})
    assert resp.status == 500
    body = await resp.text()
    assert "Server error" in body
    assert "secret internal detail" not in body
    assert "Traceback" not in body
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/nope", "/boom"])
async def test_security_headers_on_every_response(
    aiohttp_client: Client, app: web.Application, path: str
) -> None:
    """CSP, nosniff and Referrer-Policy are on success, 404 and 500 responses alike."""
    client = await aiohttp_client(app)
    resp = await client.get(path)
    for name in HEADERS:
        assert resp.headers.get(name), name
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_injected_engine_is_used_and_left_open(
    aiohttp_client: Client, settings: Settings
) -> None:
    """An engine passed in is the app's engine, and the app does not dispose of it."""
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    client = await aiohttp_client(create_app(settings, engine=engine))
    assert (await client.get("/healthz")).status == 200
    await client.close()
    async with engine.connect():
        pass  # still usable
    await engine.dispose()
