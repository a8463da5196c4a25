"""Logging in and out of the console."""

from __future__ import annotations

import logging
import math
import secrets

from aiohttp import hdrs, web

from helpdesk.console._render import form, render
from helpdesk.console.guard import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    current_staff,
    tokens_match,
)
from helpdesk.keys import CONSOLE

log = logging.getLogger("helpdesk.console")

HOME = f"{PREFIX}/tickets"
MAX_FIELD = 1000


def _next(value: str | None) -> str:
    # Only a path of the console itself: never another site (open redirect).
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return HOME


def _wait_text(seconds: int) -> str:
    """The key of the "try again in N" message, and the N it shows."""
    if seconds <= 1:
        return "login.wait_one"
    return "login.wait_seconds" if seconds < 120 else "login.wait_minutes"


def _login_page(
    request: web.Request,
    *,
    next_: str | None,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    wait: int = 0,
) -> web.Response:
    # Login CSRF: the form must come back with the value of a cookie only our pages set.
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status=status,
        anonymous=True,
        login_token=token,
        next=_next(next_),
        error=error,
        email=email,
        seconds=wait,
        minutes=math.ceil(wait / 60),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path=f"{PREFIX}/login",
        httponly=True,
        samesite="Strict",
        secure=request.app[CONSOLE].secure_cookies,
    )
    return response


async def login_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    if await console.sessions.lookup(request.cookies.get(SESSION_COOKIE)) is not None:
        raise web.HTTPSeeOther(HOME)
    return _login_page(request, next_=request.query.get("next"))


async def login_submit(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    data = await form(request)
    again = data.get("next")
    if not tokens_match(request.cookies.get(LOGIN_COOKIE, ""), data.get("login_token")):
        return _login_page(request, status=403, next_=again, error="login.expired")
    email = data.get("email", "")[:MAX_FIELD]
    password = data.get("password", "")[:MAX_FIELD]
    result = await console.auth.login(email, password, request.remote or "unknown")
    if result.retry_after:
        log.warning(
            "console login refused: too many attempts, %d s to wait (address %s)",
            result.retry_after,
            request.remote,
        )
        page = _login_page(
            request,
            status=429,
            next_=again,
            error=_wait_text(result.retry_after),
            email=email,
            wait=result.retry_after,
        )
        page.headers[hdrs.RETRY_AFTER] = str(result.retry_after)
        return page
    if result.staff_id is None:
        log.info("console login failed (address %s)", request.remote)
        # The address typed stays in the form, known account or not: nothing to learn.
        return _login_page(request, status=401, next_=again, error="login.failed", email=email)
    token = await console.sessions.create(result.staff_id)
    response = web.HTTPSeeOther(_next(data.get("next")))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=console.secure_cookies,
    )
    response.del_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
    raise response


async def logout(request: web.Request) -> web.Response:
    staff = current_staff(request)
    await request.app[CONSOLE].sessions.end(staff.session)
    response = web.HTTPSeeOther(f"{PREFIX}/login")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    raise response


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(f"{PREFIX}/login", login_page, name="staff_login")
    router.add_post(f"{PREFIX}/login", login_submit, name="staff_login_submit")
    router.add_post(f"{PREFIX}/logout", logout, name="staff_logout")
