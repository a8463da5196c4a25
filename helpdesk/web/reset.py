"""The reset pages: `/reset/<token>` (set a new password) and `/reset` (ask for a link).

A GET consumes nothing: mail scanners pre-fetch links. Forms carry a CSRF token that must
match a SameSite=Strict cookie (double submit). Every page is sent with
`Referrer-Policy: no-referrer` and `Cache-Control: no-store`, so the token in the URL
leaves with no request and stays in no cache; a log filter keeps it out of log lines.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from typing import Any

from aiohttp import web

from helpdesk.desk.tickets import TicketStore
from helpdesk.keys import RESET_SCRIPT, RESETS, SESSIONS, SETTINGS, TEMPLATES
from helpdesk.mailbox.policy import MISMATCH
from helpdesk.mailbox.reset import RATE_LIMITED, RequestResult, parse_context
from helpdesk.mailbox.service import LinkState
from helpdesk.resources import STATIC_DIR
from helpdesk.templating import pick_lang
from helpdesk.wording import LANGUAGES

CSRF_COOKIE = "reset_csrf"
CSRF_FIELD = "csrf"
CSRF_PROBLEM = "csrf"
MAX_FORM_BYTES = 16 * 1024

PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

_TOKEN_IN_PATH = re.compile(r"(/(?:reset|settings)/)[^\s\"'?#/]+")
# Loggers that may print a request line or path: aiohttp's and ours.
SCRUBBED_LOGGERS = (
    "aiohttp.access",
    "aiohttp.server",
    "aiohttp.web",
    "helpdesk.access",
    "helpdesk.web",
)


class TokenScrubber(logging.Filter):
    """Replaces the token of `/reset/<token>` (and `/settings/<token>`) in a log record."""

    @staticmethod
    def _clean(value: Any) -> Any:
        if isinstance(value, str):
            return _TOKEN_IN_PATH.sub(r"\1…", value)
        if isinstance(value, dict):
            return {k: TokenScrubber._clean(v) for k, v in value.items()}
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = self._clean(record.args)
        for key, value in list(vars(record).items()):
            if key not in ("msg", "args") and isinstance(value, str | dict):
                setattr(record, key, self._clean(value))
        return True


def install_scrubber(loggers: tuple[str, ...] = SCRUBBED_LOGGERS) -> TokenScrubber:
    scrubber = TokenScrubber()
    for name in loggers:
        logging.getLogger(name).addFilter(scrubber)
    return scrubber


def remove_scrubber(scrubber: TokenScrubber, loggers: tuple[str, ...] = SCRUBBED_LOGGERS) -> None:
    for name in loggers:
        logging.getLogger(name).removeFilter(scrubber)


# --- CSRF: a random value in a SameSite=Strict cookie, repeated in the form


def csrf_value(request: web.Request) -> str:
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if re.fullmatch(r"[A-Za-z0-9_-]{43}", current) else secrets.token_urlsafe(32)


def csrf_ok(request: web.Request, form: Any) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form.get(CSRF_FIELD, "")
    if not cookie or not isinstance(given, str):
        return False
    return hmac.compare_digest(cookie.encode(), given.encode())


def render_page(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    csrf: str | None = None,
    cookie_path: str = "/reset",
    **context: Any,
) -> web.Response:
    settings = request.app[SETTINGS]
    html = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(provider=settings.provider, csrf=csrf or "", **context)
    )
    response = web.Response(
        status=status, text=html, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
    )
    if csrf:
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            httponly=True,
            samesite="Strict",
            secure=settings.public_url.startswith("https://"),
            path=cookie_path,
        )
    return response


def page_lang(request: web.Request, *candidates: Any) -> str:
    for value in (request.query.get("lang"), *candidates):
        if value in LANGUAGES:
            return str(value)
    return pick_lang(request.headers.get("Accept-Language"))


def _client(request: web.Request) -> str:
    return f"ip:{request.remote or 'unknown'}"


async def read_form(request: web.Request) -> Any:
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_FORM_BYTES, request.content_length)
    return await request.post()


# --- /reset/<token>


def _form_page(
    request: web.Request,
    lang: str,
    address: str,
    *,
    problems: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    return render_page(
        request,
        "reset/form.html",
        status=status,
        csrf=csrf_value(request),
        lang=lang,
        address=address,
        problems=problems or [],
        min_length=request.app[RESETS].policy.min_length,
        action=request.path,
    )


def _invalid_page(request: web.Request, lang: str) -> web.Response:
    return render_page(
        request, "reset/invalid.html", status=410, csrf=csrf_value(request), lang=lang
    )


async def reset_form(request: web.Request) -> web.Response:
    resets = request.app[RESETS]
    check = await resets.check(request.match_info["token"])
    _, link_lang = parse_context(check.context)
    lang = page_lang(request, link_lang)
    if not check.ok or check.mailbox is None:
        if check.state != LinkState.UNKNOWN:
            await resets.refused(check, "open")
        return _invalid_page(request, lang)
    return _form_page(request, lang, check.mailbox.address)


async def reset_submit(request: web.Request) -> web.Response:
    resets = request.app[RESETS]
    token = request.match_info["token"]
    form = await read_form(request)
    if not csrf_ok(request, form):
        check = await resets.check(token)
        lang = page_lang(request, form.get("lang"))
        if not check.ok or check.mailbox is None:
            return _invalid_page(request, lang)
        return _form_page(request, lang, check.mailbox.address, problems=[CSRF_PROBLEM], status=403)
    password, confirm = form.get("password", ""), form.get("confirm", "")
    if not isinstance(password, str) or not isinstance(confirm, str):
        password, confirm = "", "\x00"  # a file upload instead of text: refused below
    result = await resets.complete(token, password, confirm, client=_client(request))
    lang = page_lang(request, form.get("lang"), result.lang)
    if result.state != LinkState.VALID:
        return _invalid_page(request, lang)
    if result.problems:
        status = 429 if RATE_LIMITED in result.problems else 400
        problems = [p for p in result.problems if p != MISMATCH] + (
            [MISMATCH] if MISMATCH in result.problems else []
        )
        return _form_page(request, lang, result.address or "", problems=problems, status=status)
    return render_page(request, "reset/done.html", lang=lang, address=result.address or "")


# --- /reset: ask for a link without the chat (where an invalid link sends people)


async def request_form(request: web.Request) -> web.Response:
    lang = page_lang(request)
    return render_page(
        request, "reset/request.html", csrf=csrf_value(request), lang=lang, problems=[]
    )


async def request_submit(request: web.Request) -> web.Response:
    form = await read_form(request)
    lang = page_lang(request, form.get("lang"))
    if not csrf_ok(request, form):
        return render_page(
            request,
            "reset/request.html",
            status=403,
            csrf=csrf_value(request),
            lang=lang,
            problems=[CSRF_PROBLEM],
        )
    address = form.get("address", "")
    address = address.strip()[:320] if isinstance(address, str) else ""
    tickets = TicketStore(request.app[SESSIONS])

    async def open_ticket() -> str:
        ticket = await tickets.create("web", lang=lang, subject="password reset request")
        await tickets.update(ticket.id, actor="customer", intent="password_forgot")
        return ticket.reference

    reference: str | None = None

    async def ticket_once() -> str:
        nonlocal reference
        reference = reference or await open_ticket()
        return reference

    result = await request.app[RESETS].request(
        address, client=_client(request), lang=lang, reference=None, open_ticket=ticket_once
    )
    return render_page(
        request,
        "reset/requested.html",
        status=429 if result == RequestResult.LIMITED else 200,
        lang=lang,
        limited=result == RequestResult.LIMITED,
        minutes=request.app[RESETS].link_minutes,
        reference=reference or "",
    )


async def reset_script(request: web.Request) -> web.Response:
    return web.Response(
        body=request.app[RESET_SCRIPT],
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


def add_routes(app: web.Application) -> None:
    """Register `/reset`, `/reset/{token}` and `/reset.js`."""
    app[RESET_SCRIPT] = (STATIC_DIR / "reset.js").read_bytes()
    app.router.add_get("/reset", request_form, name="reset_request")
    app.router.add_post("/reset", request_submit)
    app.router.add_get("/reset/{token}", reset_form, name="reset")
    app.router.add_post("/reset/{token}", reset_submit)
    app.router.add_get("/reset.js", reset_script, name="reset_js")
