"""Conversations: the engine state of a chat session or email thread, found by a secret token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Author,
    Conversation,
    Message,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)
from helpdesk.tickets import TicketStore


def token_hash(token: str) -> str:
    # The token is 256 random bits: a plain hash is enough, and lookups stay indexed.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class ConversationRef:
    id: int
    ticket_id: int
    ticket_reference: str
    channel: str
    lang: str | None
    state: dict[str, Any]


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
        state: dict[str, Any],
        messages: list[Message],
    ) -> ConversationRef | None:
        """Store a conversation that so far lived only in its token, with its ticket and its
        first `messages`, in one transaction: staff never see a ticket without them.

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
                session.add(
                    TicketEvent(
                        ticket_id=ticket.id,
                        kind="ticket.created",
                        actor="customer",
                        data={"channel": channel},
                    )
                )
                conv = Conversation(
                    token_hash=token_hash(token),
                    ticket_id=ticket.id,
                    channel=channel,
                    lang=lang,
                    state=state,
                )
                session.add(conv)
                for message in messages:
                    message.ticket_id = ticket.id
                session.add_all(messages)
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return None
            return ConversationRef(conv.id, ticket.id, reference, channel, lang, dict(state))

    async def resume(self, token: str) -> ConversationRef | None:
        """The conversation of `token`, or None for an unknown token."""
        if not isinstance(token, str) or not 20 <= len(token) <= 200:
            return None
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Conversation, Ticket.reference)
                    .join(Ticket, Ticket.id == Conversation.ticket_id)
                    .where(Conversation.token_hash == token_hash(token))
                )
            ).first()
        if row is None:
            return None
        conv, reference = row
        return ConversationRef(
            conv.id, conv.ticket_id, reference, conv.channel, conv.lang, dict(conv.state)
        )

    async def record_turn(
        self,
        ref: ConversationRef,
        *,
        messages: list[Message],
        events: list[TicketEvent],
        state: dict[str, Any],
        lang: str | None,
        intent: str | None,
        status: str | None,
        actor: str,
    ) -> list[Message]:
        """Store one engine turn in one transaction: messages, events, ticket, state."""
        async with self._sessions() as session:
            session.add_all(messages)
            session.add_all(events)
            # One UPDATE rather than loading the ticket: this runs for every turn of every
            # conversation, on the database's only connection under SQLite.
            values: dict[str, Any] = {"updated_at": utcnow()}
            if lang:
                values["lang"] = lang
            if intent:
                values["intent"] = intent
            if status is not None:
                before = await session.scalar(
                    select(Ticket.status).where(Ticket.id == ref.ticket_id)
                )
                if before is not None and before != status:
                    session.add(
                        TicketEvent(
                            ticket_id=ref.ticket_id,
                            kind="ticket.status",
                            actor=actor,
                            data={"from": before, "to": status},
                        )
                    )
                    values["status"] = status
            await session.execute(update(Ticket).where(Ticket.id == ref.ticket_id).values(**values))
            await session.execute(
                update(Conversation)
                .where(Conversation.id == ref.id)
                .values(state=state, lang=lang, updated_at=utcnow())
            )
            await session.commit()
            return messages

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

    async def save(self, conversation_id: int, state: dict[str, Any], lang: str | None) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(state=state, lang=lang, updated_at=utcnow())
            )
            await session.commit()
