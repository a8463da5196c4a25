"""`/chat/ws`: the chat protocol of contracts.md over a websocket.

Every bad input gets an `error` frame and the connection (and its ticket) lives on:
malformed JSON, unknown frame types, binary frames, empty or oversized messages, floods.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from helpdesk.chat.service import ChatService, ChatSession
from helpdesk.engine import Turn

log = logging.getLogger("helpdesk.chat")

CHAT = web.AppKey("chat", ChatService)

MAX_TEXT_CHARS = 50_000  # a whole pasted bounce fits; a 100 kB paste does not (error.too_long)
MAX_FRAME_BYTES = 1024 * 1024  # larger frames are refused by aiohttp itself
BURST = 8  # messages accepted at once ...
REFILL_PER_SECOND = 1.0  # ... then one a second


class TokenBucket:
    def __init__(self, capacity: float, rate: float, clock: Any = time.monotonic) -> None:
        self.capacity, self.rate, self.clock = capacity, rate, clock
        self.tokens, self.stamp = capacity, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


async def chat_ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    service = request.app[CHAT]
    # Limits on what sends mail count per address too, so a new conversation is no way round.
    client = f"ip:{request.remote}" if request.remote else None
    session: ChatSession | None = None
    bucket = TokenBucket(BURST, REFILL_PER_SECOND)
    lang = "fr"

    async def send(frame: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_str(json.dumps(frame, ensure_ascii=False))

    def _error(code: str, lang: str) -> dict[str, Any]:
        return {"type": "error", "code": code, "message": service.error_text(code, lang)}

    unfollow: Callable[[], None] | None = None
    try:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                await send(_error("binary_not_supported", lang))
                continue
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                frame = json.loads(msg.data)
            except ValueError:
                await send(_error("bad_json", lang))
                continue
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                await send(_error("bad_frame", lang))
                continue
            kind = frame["type"]
            if kind == "hello":
                if session is not None:
                    await send(_error("already_started", lang))
                    continue
                hint = frame.get("lang")
                lang = hint if hint in ("fr", "en") else lang
                token = frame.get("conversation")
                session, history, after = await service.open(
                    token if isinstance(token, str) else None,
                    hint if isinstance(hint, str) else None,
                )
                lang = session.state.get("lang") or lang
                await send(
                    {
                        "type": "welcome",
                        "conversation": session.token,
                        "ticket": session.conversation.ticket_reference,
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
                if frame.get("lang") in ("fr", "en"):
                    lang = frame["lang"]
                    await service.set_lang(session, lang)
                else:
                    await send(_error("bad_frame", lang))
                continue
            if kind not in ("message", "choice"):
                await send(_error("unknown_type", lang))
                continue
            value = frame.get("text" if kind == "message" else "value")
            if not isinstance(value, str):
                await send(_error("bad_frame", lang))
                continue
            # JSON may carry lone surrogates (\ud800) and NULs that no database stores.
            value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
            if not value.strip():
                await send(_error("empty_message", lang))
                continue
            if len(value) > MAX_TEXT_CHARS:
                await send(_error("too_long", lang))
                continue
            if not bucket.take():
                await send(_error("rate_limited", lang))
                continue
            turn = (
                Turn(text=value, lang_hint=lang, client=client)
                if kind == "message"
                else Turn(choice=value, lang_hint=lang, client=client)
            )
            try:
                await service.turn(session, turn, send)
            except Exception:
                # One failing turn must not end the conversation: the customer may try again.
                log.exception(
                    "chat turn failed on ticket %s", session.conversation.ticket_reference
                )
                await send(_error("internal", lang))
            lang = session.state.get("lang") or lang
    finally:
        if unfollow is not None:
            unfollow()
    return ws
