"""The queue, a ticket's transcript, its exports, and the actions staff take on it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from helpdesk.console._render import form, render
from helpdesk.console.actions import Refused
from helpdesk.console.checks import summarize
from helpdesk.console.guard import PREFIX, current_staff
from helpdesk.console.queue import CHANNELS, LANGS, STATUS_ORDER, Cursor, QueueFilter
from helpdesk.console.texts import request_lang
from helpdesk.console.transcript import Transcript
from helpdesk.db.models import TicketStatus
from helpdesk.keys import CONSOLE, SETTINGS, TEMPLATES


def _clock(request: web.Request) -> Callable[[datetime | None], str]:
    """Times as the provider's staff read them, in the provider's zone."""
    zone = ZoneInfo(request.app[SETTINGS].provider.timezone)

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    return when


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(f"{PREFIX}/tickets")


async def queue(request: web.Request) -> web.Response:
    wanted = QueueFilter.from_query(request.query)
    page = await request.app[CONSOLE].queue.page(wanted, Cursor.decode(request.query.get("after")))
    next_url = None
    if page.next_cursor is not None:
        params = {**wanted.params(), "after": page.next_cursor.encode()}
        next_url = f"{PREFIX}/tickets?{urlencode(params)}"
    return render(
        request,
        "queue.html",
        page=page,
        wanted=wanted,
        next_url=next_url,
        first_url=f"{PREFIX}/tickets?{urlencode(wanted.params())}",
        paged="after" in request.query,
        statuses=[s.value for s in STATUS_ORDER],
        channels=CHANNELS,
        langs=LANGS,
        when=_clock(request),
    )


async def _transcript(request: web.Request) -> Transcript:
    found = await request.app[CONSOLE].transcripts.load(request.match_info["reference"])
    if found is None:
        raise web.HTTPNotFound()
    return found


async def ticket(request: web.Request) -> web.Response:
    transcript = await _transcript(request)
    return render(
        request,
        "ticket.html",
        tr=transcript,
        summarize=summarize,
        when=_clock(request),
        done=request.query.get("done"),
        refused=request.query.get("refused"),
    )


async def export_json(request: web.Request) -> web.Response:
    transcript = await _transcript(request)
    body = json.dumps(transcript.to_json(), ensure_ascii=False, indent=2)
    name = f"{transcript.ticket.reference}.json"
    return web.Response(
        text=body,
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def printable(request: web.Request) -> web.Response:
    transcript = await _transcript(request)
    return render(request, "print.html", tr=transcript, when=_clock(request))


def customer_copy(request: web.Request, transcript: Transcript, lang: str) -> str:
    """The plain-text transcript a customer receives: what was said, nothing internal."""
    return (
        request.app[TEMPLATES]
        .get_template("staff/transcript.txt")
        .render(
            tr=transcript,
            t=request.app[CONSOLE].texts.phrases(lang),
            when=_clock(request),
            provider=request.app[SETTINGS].provider,
        )
    )


Action = Callable[[web.Request, Transcript, dict[str, str]], Awaitable[None]]


async def _take_over(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    await request.app[CONSOLE].actions.take_over(current_staff(request), tr.ticket.id)


async def _hand_back(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    await request.app[CONSOLE].actions.hand_back(current_staff(request), tr.ticket.id)


async def _note(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    await request.app[CONSOLE].actions.note(
        current_staff(request), tr.ticket.id, data.get("text", "")
    )


async def _message(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    await request.app[CONSOLE].actions.say(
        current_staff(request), tr.ticket.id, data.get("text", "")
    )


async def _email(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    await request.app[CONSOLE].actions.email(
        current_staff(request), tr.ticket.id, data.get("text", ""), request_lang(request)
    )


async def _resolve(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    staff = current_staff(request)
    await request.app[CONSOLE].actions.set_status(staff, tr.ticket.id, TicketStatus.RESOLVED)


async def _reopen(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    staff = current_staff(request)
    await request.app[CONSOLE].actions.set_status(staff, tr.ticket.id, TicketStatus.OPEN)


async def _send_transcript(request: web.Request, tr: Transcript, data: dict[str, str]) -> None:
    lang = tr.ticket.lang or request_lang(request)
    await request.app[CONSOLE].actions.send_transcript(
        current_staff(request), tr.ticket.id, customer_copy(request, tr, lang), lang
    )


ACTIONS: dict[str, Action] = {
    "takeover": _take_over,
    "handback": _hand_back,
    "note": _note,
    "message": _message,
    "email": _email,
    "resolve": _resolve,
    "reopen": _reopen,
    "send-transcript": _send_transcript,
}


def _act(name: str, action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        transcript = await _transcript(request)
        data = await form(request)
        back = f"{PREFIX}/tickets/{transcript.ticket.reference}"
        try:
            await action(request, transcript, data)
        except Refused as refusal:
            raise web.HTTPSeeOther(f"{back}?refused={refusal.reason.value}") from None
        raise web.HTTPSeeOther(f"{back}?done={name}")

    return handler


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(PREFIX, home, name="staff_home")
    router.add_get(f"{PREFIX}/", home, name="staff_home_slash")
    router.add_get(f"{PREFIX}/tickets", queue, name="staff_queue")
    router.add_get(f"{PREFIX}/tickets/{{reference}}", ticket, name="staff_ticket")
    router.add_get(
        f"{PREFIX}/tickets/{{reference}}/export.json", export_json, name="staff_export_json"
    )
    router.add_get(f"{PREFIX}/tickets/{{reference}}/print", printable, name="staff_print")
    for name, action in ACTIONS.items():
        router.add_post(
            f"{PREFIX}/tickets/{{reference}}/{name}",
            _act(name, action),
            name=f"staff_ticket_{name.replace('-', '_')}",
        )
