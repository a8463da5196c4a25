"""The console's routes: pages, the guard, assets."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from helpdesk.console import live, views_admin, views_auth, views_tickets
from helpdesk.console.guard import no_store, staff_guard
from helpdesk.web.pages import STATIC_DIR, Asset

ASSETS = {
    "/assets/staff.js": ("staff.js", "text/javascript"),
    "/assets/staff.css": ("staff.css", "text/css"),
}


def _serve(asset: Asset) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache"}
        if asset.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=asset.body, content_type=asset.content_type, charset="utf-8", headers=headers
        )

    return handler


def add_routes(app: web.Application) -> None:
    """The staff console's pages, its guard and its assets (its services are built by
    the composition root, helpdesk.app)."""
    app.middlewares.append(staff_guard)
    app.on_response_prepare.append(no_store)
    router = app.router
    views_auth.add_routes(router)
    views_tickets.add_routes(router)
    live.add_routes(router)
    views_admin.add_routes(router)
    for path, (name, content_type) in ASSETS.items():
        asset = Asset.load(STATIC_DIR / name, content_type)
        router.add_get(path, _serve(asset), name=f"asset_{name.replace('.', '_')}")
