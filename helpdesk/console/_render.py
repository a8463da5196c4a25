"""Rendering console pages: the template, its wording and the request's staff member."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from helpdesk.console.guard import CSRF_FIELD, current_staff
from helpdesk.console.texts import LANG_COOKIE, request_lang
from helpdesk.keys import CONSOLE, TEMPLATES
from helpdesk.templating import LANGS


def render(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    anonymous: bool = False,
    **context: Any,
) -> web.Response:
    lang = request_lang(request)
    console = request.app[CONSOLE]
    staff = None if anonymous else current_staff(request)
    html = (
        request.app[TEMPLATES]
        .get_template(f"staff/{template}")
        .render(
            lang=lang,
            t=console.texts.phrases(lang),
            staff=staff,
            csrf=staff.csrf if staff else "",
            csrf_field=CSRF_FIELD,
            path=request.path,
            **context,
        )
    )
    response = web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Language": lang},
    )
    remember_lang(request, response)
    return response


def remember_lang(request: web.Request, response: web.StreamResponse) -> None:
    """A language picked with ?lang= sticks for the following pages."""
    asked = request.query.get("lang")
    if asked in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            asked,
            path="/staff",
            httponly=True,
            samesite="Strict",
            secure=request.app[CONSOLE].secure_cookies,
            max_age=365 * 86400,
        )


async def form(request: web.Request) -> dict[str, str]:
    """The posted form's text fields (files are not accepted anywhere in the console)."""
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}
