"""Chat conversations: store every message, run the engine, produce protocol frames.

The websocket view only parses frames and enforces limits; this service owns the order
"store the customer's message, then answer" and the transcript of every bot turn.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.chat.tokens import ConversationTokens
from helpdesk.db.models import Author, Channel, Holder, Message, utcnow
from helpdesk.desk.conversations import ConversationRef, ConversationStore
from helpdesk.desk.drafts import Draft
from helpdesk.desk.hub import ChatHub, Event, message_event, message_view
from helpdesk.desk.tickets import TicketStore, new_reference
from helpdesk.engine import DialogueState, Engine, Outcome, Reply, Turn, Wording, redact
from helpdesk.wording import LANGUAGES

log = logging.getLogger("helpdesk.chat")

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class ChatSession:
    """One open websocket's view of its conversation.

    `conversation` is None until the customer first writes: until then the conversation is
    only its signed token, its future ticket `reference` and the `opening` the bot said.
    """

    token: str
    reference: str
    conversation: ConversationRef | None = None
    state: DialogueState = field(default_factory=DialogueState)
    opening: list[Draft] = field(default_factory=list)
    follower: Send | None = None
    unsubscribe: Callable[[], None] | None = None


def message_frame(message: Message | Draft) -> dict[str, Any]:
    """A message as the chat protocol's `message` frame."""
    return {"type": "message", **message_view(message)}


class ChatService:
    def __init__(
        self,
        engine: Engine,
        wording: Wording,
        tickets: TicketStore,
        conversations: ConversationStore,
        clock: Callable[[], datetime] | None = None,
        hub: ChatHub | None = None,
        tokens: ConversationTokens | None = None,
    ) -> None:
        self._engine = engine
        self._wording = wording
        self._tickets = tickets
        self._conversations = conversations
        self.hub = hub or ChatHub()
        # Without the help desk's key, tokens never stored are valid for this process only.
        self._tokens = tokens or ConversationTokens(secrets.token_bytes(32))
        # One turn at a time per conversation (tabs of one customer share it): a message
        # re-sent with its client id is then either stored or found, never stored twice.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # "hier à 14h" is read in the provider's zone, where its customers are.
        zone = ZoneInfo(wording.provider.timezone)
        self._clock = clock or (lambda: datetime.now(zone))

    def follow(self, session: ChatSession, send: Send) -> Callable[[], None]:
        """Let the customer's socket hear what staff do on its ticket (from the moment the
        conversation is stored); returns the call that stops it."""
        session.follower = send
        self._subscribe(session)

        def stop() -> None:
            session.follower = None
            if session.unsubscribe is not None:
                session.unsubscribe()
                session.unsubscribe = None

        return stop

    def _subscribe(self, session: ChatSession) -> None:
        send = session.follower
        if send is None or session.conversation is None or session.unsubscribe is not None:
            return

        async def listener(event: Event) -> None:
            # Who holds the conversation is read from the database at every turn, so a
            # takeover needs nothing here; what staff say reaches the customer live.
            message = event.get("message") if event.get("kind") == "message" else None
            if message is not None and message["from"] in ("staff", "system"):
                await send({"type": "message", **message})

        session.unsubscribe = self.hub.subscribe(session.conversation.ticket_id, listener)

    def _stored(self, session: ChatSession, ref: ConversationRef, state: DialogueState) -> None:
        session.conversation, session.state, session.opening = ref, state, []
        self._subscribe(session)

    async def _publish(self, session: ChatSession, message: Message) -> None:
        if session.conversation is not None:
            await self.hub.publish(session.conversation.ticket_id, message_event(message))

    def _lock(self, token: str) -> asyncio.Lock:
        lock = self._locks.get(token)
        if lock is None:
            lock = self._locks[token] = asyncio.Lock()
        return lock

    async def open(
        self, token: str | None, lang: str | None
    ) -> tuple[ChatSession, list[dict[str, Any]], list[dict[str, Any]]]:
        """Resume `token`'s conversation, or start one when it is None or unknown.

        Starting stores nothing: the conversation becomes a ticket when the customer first
        writes (`turn`). Returns the session, the history frames, and frames to send after
        `welcome`.
        """
        lang = lang if LANGUAGES.knows(lang) else None
        if token:
            ref = await self._conversations.resume(token)
            if ref is not None:
                history = [message_frame(m) for m in await self._tickets.messages(ref.ticket_id)]
                return ChatSession(token, ref.ticket_reference, ref, ref.state), history, []
            if self._tokens.issued(token):
                # Ours, never written in: the same conversation, still only a token; the
                # opening it was greeted with is its history.
                session = self._unstored(token, lang)
                return session, [message_frame(m) for m in session.opening], []
        session = self._unstored(self._tokens.issue(), lang)
        return session, [], [message_frame(m) for m in session.opening]

    def issued(self, token: str | None) -> bool:
        """Whether `token` is one this help desk handed out (stored or not), without a query."""
        return token is not None and self._tokens.issued(token)

    def _unstored(self, token: str, lang: str | None) -> ChatSession:
        session = ChatSession(token, self._tokens.reference(token))
        outcome = self._engine.opening(lang or "fr")
        session.opening = [
            replace(draft, meta={**draft.meta, "frame_id": f"opening-{index}"})
            for index, draft in enumerate(_drafts(outcome))
        ]
        session.state = outcome.state
        return session

    def error_text(self, code: str, lang: str) -> str:
        """The customer-facing text of a protocol error frame (templates/bot: error.*)."""
        return self._wording.say(lang, f"error.{code}")

    async def set_lang(self, session: ChatSession, lang: str) -> None:
        if LANGUAGES.knows(lang):
            session.state = session.state.in_lang(lang)
            if session.conversation is not None:
                await self._conversations.save(session.conversation.id, session.state, lang)

    async def turn(
        self, session: ChatSession, turn: Turn, send: Send, client_id: str | None = None
    ) -> None:
        """Store the customer's input, answer it, store and send the answer.

        A `client_id` already stored on the conversation is not stored or answered again:
        the stored echo and the answers that followed it are sent once more instead.
        """
        async with self._lock(session.token):
            if session.conversation is None:
                ref = await self._conversations.resume(session.token)  # another tab wrote
                if ref is not None:
                    self._stored(session, ref, ref.state)
            if client_id and session.conversation is not None:
                earlier = await self._conversations.answered(
                    session.conversation.ticket_id, client_id
                )
                if earlier:
                    for message in earlier:
                        await send(message_frame(message))
                    return
            await self._turn(session, turn, send, client_id)

    async def _turn(
        self, session: ChatSession, turn: Turn, send: Send, client_id: str | None
    ) -> None:
        text, had_secret = redact(turn.text)
        shown = text if turn.choice is None else self._choice_label(session, turn.choice) or text
        meta: dict[str, Any] = {}
        if turn.choice:
            meta["choice"] = turn.choice
        if client_id:
            meta["client_id"] = client_id
        stored = await self._store_customer(session, shown, meta)
        await send(message_frame(stored))
        await self._publish(session, stored)
        assert session.conversation is not None  # stored with the customer's message
        ref = await self._conversations.current(session.conversation)
        session.state = ref.state
        if ref.holder != Holder.BOT:
            return  # staff have the conversation; nothing for the bot to say
        await send({"type": "typing", "from": "bot"})

        async def progress(text: str) -> None:
            await send({"type": "typing", "from": "bot", "text": text})

        outcome = await self._engine.handle(
            ref.state,
            Turn(text, turn.choice, turn.lang_hint, had_secret, turn.client),
            reference=session.reference,
            progress=progress,
            now=self._clock(),
        )
        for message in await self._record(session, ref, outcome):
            await send(message_frame(message))
            await self._publish(session, message)

    async def _store_customer(
        self, session: ChatSession, body: str, meta: dict[str, Any]
    ) -> Message:
        """Store the customer's message; the first one stores the conversation with it."""
        reference = session.reference
        for _ in range(3):
            if session.conversation is not None:
                break
            said = Draft(Author.CUSTOMER, Channel.CHAT, body, meta=meta)
            created = await self._conversations.create(
                session.token,
                reference,
                Channel.CHAT,
                lang=session.state.lang,
                state=session.state,
                messages=[*session.opening, said],
            )
            if created is not None:
                self._stored(session, created[0], session.state)
                return created[1][-1]
            ref = await self._conversations.resume(session.token)
            if ref is not None:  # stored meanwhile by another process
                self._stored(session, ref, ref.state)
            else:  # the derived reference is another ticket's (40 bits: rare)
                reference = session.reference = new_reference()
        if session.conversation is None:
            raise RuntimeError(f"cannot store the conversation of ticket {reference}")
        return await self._tickets.add_message(
            session.conversation.ticket_id,
            Author.CUSTOMER,
            Channel.CHAT,
            body,
            meta=meta or None,
        )

    def _choice_label(self, session: ChatSession, value: str) -> str | None:
        choice = session.state.offered_choice(value)
        return choice.label if choice is not None else None

    async def _record(
        self, session: ChatSession, ref: ConversationRef, outcome: Outcome
    ) -> list[Message]:
        """Persist the engine's outcome (messages, checks, events, state); returns the bot's
        messages, or [] when the turn lost its race (staff took over meanwhile): then
        nothing is said."""
        stored = await self._conversations.record_turn(
            ref,
            messages=_drafts(outcome),
            events=outcome.events,
            state=outcome.state,
            lang=outcome.lang,
            intent=outcome.topic,
            handoff=outcome.handoff,
        )
        if stored is None:
            log.info("ticket %s: a bot turn gave way to a takeover", ref.ticket_reference)
            return []
        session.state = outcome.state
        return stored


def _drafts(outcome: Outcome) -> list[Draft]:
    """The engine's replies as messages to store; the first carries what was understood
    and checked."""
    payload: dict[str, Any] = {}
    if outcome.understood is not None:
        payload["understood"] = outcome.understood
    if outcome.checks:
        payload["checks"] = [
            {"name": c.name, "input": c.input, "result": c.result} for c in outcome.checks
        ]
    now = utcnow()
    return [
        Draft(
            Author.BOT,
            Channel.CHAT,
            reply.text,
            payload=payload if index == 0 else {},
            meta=_reply_meta(reply),
            created_at=now,
        )
        for index, reply in enumerate(outcome.replies)
    ]


def _reply_meta(reply: Reply) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if reply.choices:
        meta["choices"] = [{"label": c.label, "value": c.value} for c in reply.choices]
    if reply.links:
        meta["links"] = [{"label": link.label, "url": link.url} for link in reply.links]
    if reply.intent:
        meta["intent"] = reply.intent
    return meta
