"""The gate of every /staff route: a live session, the right role, a CSRF token on each
change, and the same origin for forms and websockets. Anything under /staff is closed
unless its route is named in PUBLIC, so a new route cannot be left open by mistake."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from aiohttp import hdrs, web

from helpdesk.console.auth import Staff
from helpdesk.console.texts import request_lang
from helpdesk.keys import CONSOLE, SETTINGS

PREFIX = "/staff"
SESSION_COOKIE = "hd_staff"
LOGIN_COOKIE = "hd_staff_login"
PUBLIC = frozenset({"staff_login", "staff_login_submit"})
ADMIN_PREFIX = "staff_admin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
_STAFF = web.RequestKey("staff", Staff)


def is_staff_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def current_staff(request: web.Request) -> Staff:
    """The staff member the guard let in (every non-public /staff handler has one)."""
    try:
        return request[_STAFF]
    except KeyError:
        raise web.HTTPUnauthorized() from None


def session_token(request: web.Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def same_origin(request: web.Request) -> bool:
    """False when a browser says the request comes from another site.

    Browsers send Origin with every form POST and websocket handshake; a client that
    sends none is not a browser acting for someone else, and still needs the token.
    """
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return True
    parts = urlsplit(origin)
    if not parts.netloc:
        return False  # "null": sandboxed frames, data: URLs
    public = urlsplit(request.app[SETTINGS].public_url)
    return parts.netloc == request.host or (parts.scheme, parts.netloc) == (
        public.scheme,
        public.netloc,
    )


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


async def form_token(request: web.Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value = (await request.post()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def _refuse_anonymous(request: web.Request) -> web.StreamResponse:
    wants_page = (
        request.method == "GET"
        and "websocket" not in request.headers.get(hdrs.UPGRADE, "").lower()
        and "text/html" in request.headers.get(hdrs.ACCEPT, "text/html")
    )
    if wants_page:
        target = request.path_qs if request.path.startswith(PREFIX + "/") else PREFIX + "/"
        raise web.HTTPSeeOther(f"{PREFIX}/login?next={quote(target, safe='')}")
    return web.json_response({"error": "login_required"}, status=401)


def _denied(request: web.Request, key: str) -> web.Response:
    texts = request.app[CONSOLE].texts
    return web.Response(status=403, text=texts.get(request_lang(request), key))


@web.middleware
async def staff_guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not is_staff_path(request.path):
        return await handler(request)
    console = request.app[CONSOLE]
    unsafe = request.method not in SAFE_METHODS
    upgrade = "websocket" in request.headers.get(hdrs.UPGRADE, "").lower()
    if (unsafe or upgrade) and not same_origin(request):
        return _denied(request, "error.origin")
    name = request.match_info.route.name or ""
    if name in PUBLIC:
        return await handler(request)
    staff = await console.sessions.lookup(session_token(request))
    if staff is None:
        return _refuse_anonymous(request)
    if name.startswith(ADMIN_PREFIX) and not staff.is_admin:
        return _denied(request, "error.admin_only")
    if unsafe and not tokens_match(staff.csrf, await form_token(request)):
        return _denied(request, "error.csrf")
    request[_STAFF] = staff
    return await handler(request)


async def no_store(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: transcripts are personal data, never kept by a browser
    or a shared cache (this covers redirects and errors too)."""
    if is_staff_path(request.path):
        response.headers[hdrs.CACHE_CONTROL] = "no-store"
