"""Wiring the console into the application: routes, the guard, housekeeping, assets."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from helpdesk.console import live, views_admin, views_auth, views_tickets
from helpdesk.console.guard import no_store, staff_guard
from helpdesk.console.services import console_context
from helpdesk.console.texts import Texts
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


def setup_console(app: web.Application, *, housekeeping_every: float | None = None) -> None:
    """Add the staff console to `app` (after the database and chat contexts).

    `housekeeping_every` (seconds) makes the search index and retention run that often,
    for tests; by default the index catches up every 30 s and retention runs hourly.
    """
    texts = Texts()  # read and checked now: a missing translation stops the start-up
    timing = (
        {}
        if housekeeping_every is None
        else {"index_every": housekeeping_every, "purge_every": housekeeping_every}
    )
    app.cleanup_ctx.append(console_context(texts, **timing))
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
