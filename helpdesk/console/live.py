"""`/staff/tickets/{reference}/live`: a ticket's chat as it happens, for staff.

Server to staff: `{"type": "message", ...}` frames as the customer's widget gets them
(customer, bot, staff and system messages), `{"type": "handoff", "active": bool}` when
a person takes or gives back the chat, `{"type": "error", "code": ...}`.
Staff to server: `{"type": "message", "text": "..."}`, accepted once the chat is taken.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from helpdesk.console.actions import Refused
from helpdesk.console.guard import current_staff, session_token
from helpdesk.desk.hub import Event
from helpdesk.keys import CHAT, CONSOLE

log = logging.getLogger("helpdesk.console")

MAX_FRAME_BYTES = 64 * 1024


async def live(request: web.Request) -> web.WebSocketResponse:
    console = request.app[CONSOLE]
    ticket = await console.transcripts.ticket(request.match_info["reference"])
    if ticket is None:
        raise web.HTTPNotFound()
    ticket_id = ticket.id
    staff = current_staff(request)
    token = session_token(request)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)

    async def send(frame: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_str(json.dumps(frame, ensure_ascii=False))

    async def listener(event: Event) -> None:
        if event.get("kind") == "message":
            await send({"type": "message", **event["message"]})
        elif event.get("kind") == "handoff":
            await send({"type": "handoff", "active": bool(event.get("active"))})

    unfollow = request.app[CHAT].hub.subscribe(ticket_id, listener)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                frame = json.loads(msg.data)
            except ValueError:
                await send({"type": "error", "code": "bad_json"})
                continue
            if not isinstance(frame, dict) or frame.get("type") != "message":
                await send({"type": "error", "code": "bad_frame"})
                continue
            # A session can end while its socket is open (logout, account disabled).
            if await console.sessions.lookup(token) is None:
                await send({"type": "error", "code": "login_required"})
                break
            try:
                await console.actions.say(staff, ticket_id, str(frame.get("text", "")))
            except Refused as refusal:
                await send({"type": "error", "code": refusal.reason.value})
    finally:
        unfollow()
    return ws


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/staff/tickets/{reference}/live", live, name="staff_live")
