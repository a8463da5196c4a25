"""Chat conversations: store every message, run the engine, produce protocol frames.

The websocket view only parses frames and enforces limits; this service owns the order
"store the customer's message, then answer" and the transcript of every bot turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.chat.hub import ChatHub, Event
from helpdesk.conversations import ConversationRef, ConversationStore
from helpdesk.db.models import Author, Channel, Message, TicketEvent, TicketStatus
from helpdesk.engine import Engine, Outcome, Reply, Turn, Wording, redact
from helpdesk.tickets import TicketStore

Send = Callable[[dict[str, Any]], Awaitable[None]]
LANGS = ("fr", "en")
# The state of the customer's dialogue with the bot; staff handing back start it afresh.
BOT_STATE = ("handoff", "flow", "misses", "offered_labels")


@dataclass
class ChatSession:
    """One open websocket's view of its conversation."""

    token: str
    conversation: ConversationRef
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def ticket_id(self) -> int:
        return self.conversation.ticket_id


def message_frame(message: Message) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "message",
        "id": str(message.id),
        "from": message.author,
        "text": message.body,
    }
    for key in ("choices", "links", "intent"):
        if message.meta.get(key):
            frame[key] = message.meta[key]
    return frame


class ChatService:
    def __init__(
        self,
        engine: Engine,
        wording: Wording,
        tickets: TicketStore,
        conversations: ConversationStore,
        clock: Callable[[], datetime] | None = None,
        hub: ChatHub | None = None,
    ) -> None:
        self._engine = engine
        self._wording = wording
        self._tickets = tickets
        self._conversations = conversations
        self.hub = hub or ChatHub()
        # "hier à 14h" is read in the provider's zone, where its customers are.
        zone = ZoneInfo(wording.provider.timezone)
        self._clock = clock or (lambda: datetime.now(zone))

    def follow(self, session: ChatSession, send: Send) -> Callable[[], None]:
        """Let the customer's socket hear what staff do on its ticket; returns the
        call that stops it."""

        async def listener(event: Event) -> None:
            if event.get("kind") == "handoff":
                # Staff took the conversation (or gave it back): the bot follows at once.
                if event.get("active"):
                    session.state["handoff"] = True
                else:
                    for key in BOT_STATE:
                        session.state.pop(key, None)
            elif event.get("kind") == "message" and event["frame"]["from"] in ("staff", "system"):
                await send(event["frame"])

        return self.hub.subscribe(session.ticket_id, listener)

    async def _publish(self, session: ChatSession, frame: dict[str, Any]) -> None:
        await self.hub.publish(session.ticket_id, {"kind": "message", "frame": frame})

    async def open(
        self, token: str | None, lang: str | None
    ) -> tuple[ChatSession, list[dict[str, Any]], list[dict[str, Any]]]:
        """Resume `token`'s conversation, or start one when it is None or unknown.

        Returns the session, the history frames, and frames to send after `welcome`.
        """
        lang = lang if lang in LANGS else None
        if token:
            ref = await self._conversations.resume(token)
            if ref is not None:
                history = [message_frame(m) for m in await self._tickets.messages(ref.ticket_id)]
                return ChatSession(token, ref, dict(ref.state)), history, []
        token, ref = await self._conversations.start(Channel.CHAT, lang)
        session = ChatSession(token, ref)
        opening = self._engine.opening(lang or "fr")
        frames = await self._record(session, opening)
        return session, [], frames

    def error_text(self, code: str, lang: str) -> str:
        """The customer-facing text of a protocol error frame (templates/bot: error.*)."""
        return self._wording.say(lang, f"error.{code}")

    async def set_lang(self, session: ChatSession, lang: str) -> None:
        if lang in LANGS:
            session.state["lang"] = lang
            await self._conversations.save(session.conversation.id, session.state, lang)

    async def turn(self, session: ChatSession, turn: Turn, send: Send) -> None:
        """Store the customer's input, answer it, store and send the answer."""
        text, had_secret = redact(turn.text)
        shown = text if turn.choice is None else self._choice_label(session, turn.choice) or text
        stored = await self._tickets.add_message(
            session.ticket_id,
            Author.CUSTOMER,
            Channel.CHAT,
            shown,
            meta={"choice": turn.choice} if turn.choice else None,
        )
        echo = message_frame(stored)
        await send(echo)
        await self._publish(session, echo)
        if session.state.get("handoff"):
            return  # staff have the conversation; nothing for the bot to say
        await send({"type": "typing", "from": "bot"})

        async def progress(text: str) -> None:
            await send({"type": "typing", "from": "bot", "text": text})

        outcome = await self._engine.handle(
            session.state,
            Turn(text, turn.choice, turn.lang_hint, had_secret, turn.client),
            reference=session.conversation.ticket_reference,
            progress=progress,
            now=self._clock(),
        )
        for frame in await self._record(session, outcome):
            await send(frame)
            await self._publish(session, frame)

    def _choice_label(self, session: ChatSession, value: str) -> str | None:
        for choice in session.state.get("offered_labels", []):
            if choice.get("value") == value:
                return str(choice.get("label"))
        return None

    async def _record(self, session: ChatSession, outcome: Outcome) -> list[dict[str, Any]]:
        """Persist the engine's outcome (messages, checks, events, state) and frame it."""
        ticket_id = session.ticket_id
        payload: dict[str, Any] = {}
        if outcome.understood is not None:
            payload["understood"] = outcome.understood
        if outcome.checks:
            payload["checks"] = [
                {"name": c.name, "input": c.input, "result": c.result} for c in outcome.checks
            ]
        messages = [
            Message(
                ticket_id=ticket_id,
                author=Author.BOT,
                channel=Channel.CHAT,
                body=reply.text,
                payload=payload if index == 0 else {},
                meta=_reply_meta(reply),
            )
            for index, reply in enumerate(outcome.replies)
        ]
        events = [
            TicketEvent(ticket_id=ticket_id, kind=kind, actor="bot", data=data)
            for kind, data in outcome.events
        ]
        if outcome.replies and outcome.replies[-1].choices:
            outcome.state["offered_labels"] = [
                {"label": c.label, "value": c.value} for c in outcome.replies[-1].choices
            ]
        else:
            outcome.state.pop("offered_labels", None)
        await self._conversations.record_turn(
            session.conversation,
            messages=messages,
            events=events,
            state=outcome.state,
            lang=outcome.lang,
            intent=outcome.intent,
            status=TicketStatus.WAITING_STAFF if outcome.handoff else None,
            actor="bot",
        )
        session.state = outcome.state
        return [message_frame(m) for m in messages]


def _reply_meta(reply: Reply) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if reply.choices:
        meta["choices"] = [{"label": c.label, "value": c.value} for c in reply.choices]
    if reply.links:
        meta["links"] = [{"label": link.label, "url": link.url} for link in reply.links]
    if reply.intent:
        meta["intent"] = reply.intent
    return meta
