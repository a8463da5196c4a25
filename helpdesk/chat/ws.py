"""`/chat/ws`: the chat protocol of contracts.md over a websocket.

Every bad input gets an `error` frame and the connection (and its ticket) lives on:
malformed JSON (nesting, NaN, huge numbers, lone surrogates), unknown frame types, binary
frames, empty or oversized messages, floods. Two exceptions are the protocol's own: a text
frame that is not UTF-8 and a frame over `max_frame_bytes` fail the connection, with close
codes 1007 and 1009, as RFC 6455 (8.1, 7.4.1) requires.

Limits per client address (see limits.py): too many open sockets get
`too_many_connections` and are closed; too many hellos get `too_many_conversations`.
A conversation is stored, and seen by staff, only once the customer writes in it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from helpdesk.chat.frames import Refused, clean_text, read_frame
from helpdesk.chat.limits import TokenBucket, address_key
from helpdesk.chat.service import ChatSession
from helpdesk.engine import Turn
from helpdesk.keys import CHAT, CHAT_GATE
from helpdesk.wording import LANGUAGES

log = logging.getLogger("helpdesk.chat")


async def chat_ws(request: web.Request) -> web.WebSocketResponse:
    service = request.app[CHAT]
    gate = request.app[CHAT_GATE]
    limits = gate.limits
    address = address_key(request.remote)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=limits.max_frame_bytes)
    try:
        await ws.prepare(request)
    except ConnectionError as exc:
        log.debug("chat client %s left during the handshake: %r", address, exc)
        return ws
    # Limits on what sends mail count per address too, so a new conversation is no way round.
    client = f"ip:{request.remote}" if request.remote else None
    session: ChatSession | None = None
    bucket = TokenBucket(limits.message_burst, limits.messages_per_second)
    lang = "fr"
    gone = False

    async def send(frame: dict[str, Any]) -> None:
        # A customer who closed the tab or lost the network is not an error of ours: the
        # turn goes on (what the bot answers is stored for the next visit), silently.
        nonlocal gone
        if gone or ws.closed:
            return
        try:
            await ws.send_str(json.dumps(frame, ensure_ascii=False))
        except ConnectionError as exc:  # aiohttp's ClientConnectionResetError included
            gone = True
            log.debug("chat client %s went away: %r", address, exc)

    def _error(code: str, lang: str, client_id: Any = None) -> dict[str, Any]:
        frame = {"type": "error", "code": code, "message": service.error_text(code, lang)}
        if isinstance(client_id, str):
            frame["client_id"] = client_id  # which pending message the widget gives back
        return frame

    if not gate.connect(address):
        await send(_error("too_many_connections", lang))
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too many connections")
        return ws
    unfollow: Callable[[], None] | None = None
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                await send(_error("binary_not_supported", lang))
                continue
            if msg.type == WSMsgType.ERROR:
                log.debug("chat client %s: connection failed: %r", address, msg.data)
                continue
            if msg.type != WSMsgType.TEXT:
                continue
            frame = read_frame(msg.data)
            if isinstance(frame, Refused):
                await send(_error(frame.code, lang))
                continue
            kind = frame["type"]
            if kind == "hello":
                if session is not None:
                    await send(_error("already_started", lang))
                    continue
                hint = frame.get("lang")
                lang = hint if LANGUAGES.knows(hint) else lang
                token = frame.get("conversation")
                token = token if isinstance(token, str) else None
                if not gate.hello(address, resume=service.issued(token)):
                    await send(_error("too_many_conversations", lang))
                    continue
                session, history, after = await service.open(
                    token, hint if isinstance(hint, str) else None
                )
                lang = session.state.lang or lang
                await send(
                    {
                        "type": "welcome",
                        "conversation": session.token,
                        "ticket": session.reference,
                        "history": history,
                    }
                )
                for item in after:
                    await send(item)
                # From now on, what staff say on this ticket reaches this socket.
                unfollow = service.follow(session, send)
                continue
            if session is None:
                await send(_error("hello_first", lang))
                continue
            if kind == "lang":
                if frame.get("lang") in LANGUAGES:
                    lang = frame["lang"]
                    await service.set_lang(session, lang)
                else:
                    await send(_error("bad_frame", lang))
                continue
            if kind not in ("message", "choice"):
                await send(_error("unknown_type", lang))
                continue
            client_id = frame.get("client_id")
            value = frame.get("text" if kind == "message" else "value")
            if not isinstance(value, str):
                await send(_error("bad_frame", lang, client_id))
                continue
            value = clean_text(value)
            if not value.strip():
                await send(_error("empty_message", lang, client_id))
                continue
            if len(value) > limits.max_text_chars:
                await send(_error("too_long", lang, client_id))
                continue
            if not bucket.take():
                await send(_error("rate_limited", lang, client_id))
                continue
            turn = (
                Turn(text=value, lang_hint=lang, client=client)
                if kind == "message"
                else Turn(choice=value, lang_hint=lang, client=client)
            )
            try:
                await service.turn(session, turn, send, client_id)
            except Exception:
                # One failing turn must not end the conversation: the customer may try again.
                log.exception("chat turn failed on ticket %s", session.reference)
                await send(_error("internal", lang, client_id))
            lang = session.state.lang or lang
    finally:
        gate.disconnect(address)
        if unfollow is not None:
            unfollow()
    log.debug("chat client %s disconnected (close code %s)", address, ws.close_code)
    return ws
