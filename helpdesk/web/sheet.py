"""`/settings/<token>`: the one-time settings sheet of a new mailbox.

A GET shows a button and consumes nothing (link scanners); the POST, under CSRF, uses the
link and shows the settings: servers, ports, security and login, never a password.
"""

from __future__ import annotations

from aiohttp import web

from helpdesk.keys import SETTINGS, SHEETS
from helpdesk.mailbox.reset import parse_context
from helpdesk.web.reset import csrf_ok, csrf_value, page_lang, read_form, render_page

COOKIE_PATH = "/settings"


def _gate(request: web.Request, lang: str, address: str, status: int = 200) -> web.Response:
    return render_page(
        request,
        "reset/sheet_gate.html",
        status=status,
        csrf=csrf_value(request),
        cookie_path=COOKIE_PATH,
        lang=lang,
        address=address,
        action=request.path,
    )


def _invalid(request: web.Request, lang: str) -> web.Response:
    return render_page(request, "reset/sheet_invalid.html", status=410, lang=lang)


async def sheet_gate(request: web.Request) -> web.Response:
    check = await request.app[SHEETS].check(request.match_info["token"])
    lang = page_lang(request, parse_context(check.context)[1])
    if not check.ok or check.mailbox is None:
        return _invalid(request, lang)
    return _gate(request, lang, check.mailbox.address)


async def sheet_open(request: web.Request) -> web.Response:
    sheets = request.app[SHEETS]
    token = request.match_info["token"]
    form = await read_form(request)
    if not csrf_ok(request, form):
        check = await sheets.check(token)
        lang = page_lang(request, form.get("lang"))
        if not check.ok or check.mailbox is None:
            return _invalid(request, lang)
        return _gate(request, lang, check.mailbox.address, status=403)
    opened = await sheets.open(token)
    lang = page_lang(request, form.get("lang"), parse_context(opened.context)[1])
    if not opened.ok or opened.mailbox is None:
        return _invalid(request, lang)
    provider = request.app[SETTINGS].provider
    return render_page(
        request,
        "reset/sheet.html",
        lang=lang,
        mailbox=opened.mailbox,
        endpoints=[("IMAP", provider.imap), ("POP3", provider.pop3), ("SMTP", provider.smtp)],
        panel_url=provider.panel_for(opened.mailbox.server),
    )


def add_routes(app: web.Application) -> None:
    """Register `/settings/{token}`."""
    app.router.add_get("/settings/{token}", sheet_gate, name="settings_sheet")
    app.router.add_post("/settings/{token}", sheet_open)
