"""Security headers on every response, and the 404/500 pages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from helpdesk.keys import TEMPLATES
from helpdesk.templating import pick_lang

log = logging.getLogger("helpdesk.web")

# Pages never need another origin, inline script or framing by a third party.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: runs for handlers, errors, static files and websockets."""
    for name, value in SECURITY_HEADERS.items():
        # A view may set a stricter value (the reset page sends no referrer at all).
        response.headers.setdefault(name, value)


def _render_error(request: web.Request, status: int) -> web.Response:
    lang = pick_lang(request.headers.get("Accept-Language"))
    html = request.app[TEMPLATES].get_template("error.html").render(status=status, lang=lang)
    return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")


def _wants_html(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/html" in accept or not accept or "*/*" in accept


@web.middleware
async def error_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """404/405 get a page in the visitor's language; anything unexpected is logged once
    and becomes a 500 page that reveals nothing of the error."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405) and _wants_html(request):
            return _render_error(request, exc.status)
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render_error(request, 500)
