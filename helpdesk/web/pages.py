"""The demo host page `/` and the embeddable chat widget `/widget.js` + `/widget.css`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

from helpdesk.keys import SETTINGS, TEMPLATES
from helpdesk.resources import STATIC_DIR as STATIC_DIR  # re-exported
from helpdesk.templating import pick_lang


@dataclass(frozen=True)
class Asset:
    """One widget file, read once when the app is built (a few kilobytes)."""

    body: bytes
    content_type: str
    etag: str

    @classmethod
    def load(cls, path: Path, content_type: str) -> Asset:
        body = path.read_bytes()
        return cls(body, content_type, f'"{hashlib.sha256(body).hexdigest()[:16]}"')


# Provider sites on other origins embed these, so they must be loadable cross-origin; a short
# max-age lets a new version reach every site within minutes, the ETag makes revalidation cheap.
ASSET_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def _serve(asset: Asset) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        headers = {**ASSET_HEADERS, "ETag": asset.etag}
        if asset.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=asset.body, content_type=asset.content_type, charset="utf-8", headers=headers
        )

    return handler


async def demo_page(request: web.Request) -> web.Response:
    lang = pick_lang(request.headers.get("Accept-Language"))
    public_url = request.app[SETTINGS].public_url.rstrip("/")
    html = (
        request.app[TEMPLATES]
        .get_template("demo.html")
        .render(
            lang=lang,
            provider=request.app[SETTINGS].provider,
            public_url=public_url,
            # CSP source expressions for http: do not cover ws:, so hosts must list both.
            ws_url=re.sub("^http", "ws", public_url),
        )
    )
    return web.Response(
        text=html,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Language": lang, "Vary": "Accept-Language"},
    )


def add_routes(app: web.Application) -> None:
    """Register `/`, `/widget.js` and `/widget.css`."""
    app.router.add_get("/", demo_page, name="demo")
    script = Asset.load(STATIC_DIR / "widget.js", "text/javascript")
    style = Asset.load(STATIC_DIR / "widget.css", "text/css")
    app.router.add_get("/widget.js", _serve(script), name="widget_js")
    app.router.add_get("/widget.css", _serve(style), name="widget_css")
