"""Conversations: the dialogue state of a chat session or email thread, found by a secret token.

The state is the engine's `DialogueState`, stored as its JSON (`Conversation.state`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Author,
    Conversation,
    Holder,
    Message,
    Ticket,
    TicketStatus,
    utcnow,
)
from helpdesk.desk.drafts import Draft
from helpdesk.desk.events import record_event
from helpdesk.desk.status import change_status
from helpdesk.desk.tickets import TicketStore
from helpdesk.engine.state import DialogueState


async def set_holder(session: AsyncSession, ticket_id: int, holder: Holder) -> None:
    """Give the ticket's conversations to the bot or to staff, in the caller's transaction.

    Every conversation's version moves on, so a bot turn computed before this commits
    nothing (see ConversationStore.record_turn); given back, the bot starts afresh.
    """
    await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(holder=holder))
    conversations = await session.scalars(
        select(Conversation).where(Conversation.ticket_id == ticket_id)
    )
    for conv in conversations:
        if holder == Holder.BOT:
            conv.state = DialogueState.from_json(conv.state).restarted().to_json()
        conv.version = conv.version + 1
        conv.updated_at = utcnow()


def token_hash(token: str) -> str:
    # The token is 256 random bits: a plain hash is enough, and lookups stay indexed.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class ConversationRef:
    """A conversation as read at one moment: a turn answers from this state, and commits
    only if `version` is still current and the bot still holds the ticket."""

    id: int
    ticket_id: int
    ticket_reference: str
    channel: str
    lang: str | None
    state: DialogueState
    version: int = 0
    holder: str = Holder.BOT


class ConversationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], tickets: TicketStore) -> None:
        self._sessions = sessions
        self._tickets = tickets

    async def create(
        self,
        token: str,
        reference: str,
        channel: str,
        *,
        lang: str | None,
        state: DialogueState,
        messages: Sequence[Draft],
    ) -> tuple[ConversationRef, list[Message]] | None:
        """Store a conversation that so far lived only in its token, with its ticket and its
        first `messages`, in one transaction: staff never see a ticket without them.
        Returns the conversation and the stored messages.

        Returns None when `token` was stored meanwhile (another tab, another process) or
        `reference` is taken; the caller resumes the token, or tries another reference.
        """
        async with self._sessions() as session:
            ticket = Ticket(
                reference=reference, channel=channel, lang=lang, status=TicketStatus.OPEN
            )
            session.add(ticket)
            try:
                await session.flush()
                record_event(session, ticket.id, "ticket.created", "customer", {"channel": channel})
                conv = Conversation(
                    token_hash=token_hash(token),
                    ticket_id=ticket.id,
                    channel=channel,
                    lang=lang,
                    state=state.to_json(),
                )
                session.add(conv)
                rows = [draft.row(ticket.id) for draft in messages]
                session.add_all(rows)
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return None
            return ConversationRef(conv.id, ticket.id, reference, channel, lang, state, 0), rows

    async def resume(self, token: str) -> ConversationRef | None:
        """The conversation of `token`, or None for an unknown token."""
        if not isinstance(token, str) or not 20 <= len(token) <= 200:
            return None
        async with self._sessions() as session:
            return await self._read(session, Conversation.token_hash == token_hash(token))

    async def current(self, ref: ConversationRef) -> ConversationRef:
        """`ref` as it is now in the database (state, version, holder)."""
        async with self._sessions() as session:
            fresh = await self._read(session, Conversation.id == ref.id)
        if fresh is None:
            raise LookupError(f"conversation {ref.id} is gone")
        return fresh

    async def _read(self, session: AsyncSession, where: Any) -> ConversationRef | None:
        row = (
            await session.execute(
                select(Conversation, Ticket.reference, Ticket.holder)
                .join(Ticket, Ticket.id == Conversation.ticket_id)
                .where(where)
            )
        ).first()
        if row is None:
            return None
        conv, reference, holder = row
        return ConversationRef(
            conv.id,
            conv.ticket_id,
            reference,
            conv.channel,
            conv.lang,
            DialogueState.from_json(conv.state),
            conv.version,
            holder,
        )

    async def record_turn(
        self,
        ref: ConversationRef,
        *,
        messages: Sequence[Draft],
        events: Sequence[tuple[str, dict[str, Any]]],
        state: DialogueState,
        lang: str | None,
        intent: str | None,
        handoff: bool,
    ) -> list[Message] | None:
        """Store one bot turn in one transaction: messages, events (by the bot), ticket,
        state; returns the stored messages.

        The turn was computed from `ref`; it is stored only if the conversation is still at
        `ref.version` and the bot still holds the ticket. Otherwise (staff took over, or
        another turn came first) nothing is stored and None is returned: the bot says
        nothing.
        """
        async with self._sessions() as session:
            # The conditional write comes first: on PostgreSQL its row lock orders this turn
            # against a takeover, which bumps the version in its own transaction.
            won = await session.execute(
                update(Conversation)
                .where(
                    Conversation.id == ref.id,
                    Conversation.version == ref.version,
                    Conversation.ticket_id.in_(
                        select(Ticket.id).where(
                            Ticket.id == ref.ticket_id, Ticket.holder == Holder.BOT
                        )
                    ),
                )
                .values(
                    state=state.to_json(),
                    lang=lang,
                    version=Conversation.version + 1,
                    updated_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) != 1:
                await session.rollback()
                return None
            rows = [draft.row(ref.ticket_id) for draft in messages]
            session.add_all(rows)
            for kind, data in events:
                record_event(session, ref.ticket_id, kind, "bot", data)
            # One UPDATE rather than loading the ticket: this runs for every turn of every
            # conversation, on the database's only connection under SQLite.
            values: dict[str, Any] = {"updated_at": utcnow()}
            if lang:
                values["lang"] = lang
            if intent:
                values["intent"] = intent
            if handoff:
                values["holder"] = Holder.STAFF
                await change_status(session, ref.ticket_id, TicketStatus.WAITING_STAFF, "bot")
            await session.execute(update(Ticket).where(Ticket.id == ref.ticket_id).values(**values))
            await session.commit()
            return rows

    async def answered(self, ticket_id: int, client_id: str) -> list[Message]:
        """The customer message stored with `client_id` on the ticket, then what followed
        it up to the customer's next message (the answers already given); [] when none."""
        async with self._sessions() as session:
            first = await session.scalar(
                select(Message)
                .where(
                    Message.ticket_id == ticket_id,
                    Message.author == Author.CUSTOMER,
                    Message.meta["client_id"].as_string() == client_id,
                )
                .order_by(Message.id)
                .limit(1)
            )
            if first is None:
                return []
            later = await session.scalars(
                select(Message)
                .where(Message.ticket_id == ticket_id, Message.id > first.id)
                .order_by(Message.id)
                .limit(50)
            )
            found = [first]
            for message in later:
                if message.author == Author.CUSTOMER:
                    break
                found.append(message)
            return found

    async def save(self, conversation_id: int, state: DialogueState, lang: str | None) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(state=state.to_json(), lang=lang, updated_at=utcnow())
            )
            await session.commit()
