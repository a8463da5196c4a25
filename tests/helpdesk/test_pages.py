"""The demo host page and the widget's files, as plain HTTP."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from helpdesk.app import create_app
from helpdesk.config import Settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from helpdesk.web.pages import STATIC_DIR

Client = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[web.Application]:
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    return create_app(settings)


@pytest.mark.parametrize(
    ("accept_language", "lang", "text"),
    [
        ("fr-FR,fr;q=0.9", "fr", "Besoin d'aide ?"),
        ("en-US,en;q=0.9", "en", "Need help?"),
        ("de-DE", "fr", "Besoin d'aide ?"),
    ],
)
async def test_demo_page_in_the_visitor_language(
    aiohttp_client: Client, app: web.Application, accept_language: str, lang: str, text: str
) -> None:
    """`/` is the demo host page, in French or English by Accept-Language."""
    client = await aiohttp_client(app)
    resp = await client.get("/", headers={"Accept-Language": accept_language})
    assert resp.status == 200
    assert resp.content_type == "text/html"
    body = await resp.text()
    assert f'<html lang="{lang}">' in body
    assert text in html.unescape(body)
    assert "Z-Index" in body  # the provider of the configuration, not a name in code
    assert '<script src="/widget.js" defer></script>' in body
    assert resp.headers["Content-Language"] == lang
    assert "Accept-Language" in resp.headers["Vary"]


async def test_demo_page_has_the_strict_csp(aiohttp_client: Client, app: web.Application) -> None:
    """The demo page carries the site-wide CSP: no inline script or style is needed."""
    client = await aiohttp_client(app)
    resp = await client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    body = await resp.text()
    assert "<style" not in body
    assert "style=" not in body
    assert "<script>" not in body


@pytest.mark.parametrize(
    ("path", "content_type", "name"),
    [("/widget.js", "text/javascript", "widget.js"), ("/widget.css", "text/css", "widget.css")],
)
async def test_widget_files_are_served_for_any_origin(
    aiohttp_client: Client, app: web.Application, path: str, content_type: str, name: str
) -> None:
    """widget.js and widget.css: right type, UTF-8, short public cache, CORS open to all."""
    client = await aiohttp_client(app)
    resp = await client.get(path, headers={"Origin": "https://www.customer.example"})
    assert resp.status == 200
    assert resp.content_type == content_type
    assert resp.charset == "utf-8"
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert await resp.read() == (STATIC_DIR / name).read_bytes()


async def test_widget_revalidates_with_etag(aiohttp_client: Client, app: web.Application) -> None:
    """A browser holding the current widget.js gets 304 Not Modified."""
    client = await aiohttp_client(app)
    first = await client.get("/widget.js")
    etag = first.headers["ETag"]
    again = await client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    changed = await client.get("/widget.js", headers={"If-None-Match": '"other"'})
    assert changed.status == 200


def test_widget_builds_no_html_from_data() -> None:
    """widget.js never parses strings as HTML or code, and sets no inline style."""
    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("style"',
        "<style",
    ):
        assert forbidden not in source, forbidden
