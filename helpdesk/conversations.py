"""Conversations: the engine state of a chat session or email thread, found by a secret token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import Conversation, Message, Ticket, TicketEvent, utcnow
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

    async def start(self, channel: str, lang: str | None) -> tuple[str, ConversationRef]:
        """A new ticket and conversation; returns the secret resume token and the reference."""
        ticket = await self._tickets.create(channel, lang=lang)
        token = secrets.token_urlsafe(32)
        async with self._sessions() as session:
            conv = Conversation(
                token_hash=token_hash(token),
                ticket_id=ticket.id,
                channel=channel,
                lang=lang,
                state={},
            )
            session.add(conv)
            await session.commit()
            return token, ConversationRef(conv.id, ticket.id, ticket.reference, channel, lang, {})

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

    async def save(self, conversation_id: int, state: dict[str, Any], lang: str | None) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(state=state, lang=lang, updated_at=utcnow())
            )
            await session.commit()
