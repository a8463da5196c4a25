"""Storage of tickets, messages and events; the one place that writes transcripts."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import Message, Ticket, TicketEvent, TicketStatus, utcnow
from helpdesk.desk.events import record_event
from helpdesk.desk.status import change_status

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from a screen.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(seed: bytes | None = None) -> str:
    """A public ticket reference such as `HD-7K3M9QXR`: 40 random bits, or the first 40
    bits of `seed` (a digest) when the reference must be derived again later."""
    if seed is None:
        return "HD-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
    if len(seed) < 5:
        raise ValueError("a reference seed needs at least 40 bits")
    bits = int.from_bytes(seed[:5], "big")
    return "HD-" + "".join(_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))


class TicketStore:
    """Ticket operations over one session factory; each method is one transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self,
        channel: str,
        *,
        lang: str | None = None,
        subject: str | None = None,
        customer_email: str | None = None,
        actor: str = "customer",
    ) -> Ticket:
        async with self._sessions() as session:
            ticket = Ticket(
                reference=new_reference(),
                channel=channel,
                lang=lang,
                subject=subject,
                customer_email=customer_email,
                status=TicketStatus.OPEN,
            )
            session.add(ticket)
            await session.flush()
            record_event(session, ticket.id, "ticket.created", actor, {"channel": channel})
            await session.commit()
            return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self._sessions() as session:
            return await session.get(Ticket, ticket_id)

    async def add_message(
        self,
        ticket_id: int,
        author: str,
        channel: str,
        body: str,
        *,
        payload: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
        staff_id: int | None = None,
    ) -> Message:
        async with self._sessions() as session:
            message = Message(
                ticket_id=ticket_id,
                author=author,
                channel=channel,
                body=body,
                payload=payload or {},
                meta=meta or {},
                staff_id=staff_id,
            )
            session.add(message)
            await session.execute(
                update(Ticket).where(Ticket.id == ticket_id).values(updated_at=utcnow())
            )
            await session.commit()
            return message

    async def add_event(
        self, ticket_id: int, kind: str, actor: str, data: dict[str, Any] | None = None
    ) -> None:
        async with self._sessions() as session:
            record_event(session, ticket_id, kind, actor, data)
            await session.commit()

    async def add_event_for(
        self, reference: str | None, kind: str, actor: str, data: dict[str, Any] | None = None
    ) -> int | None:
        """Add an event to the ticket `reference`; returns its id, or None (and writes
        nothing) when there is no such ticket."""
        if not reference:
            return None
        async with self._sessions() as session:
            ticket_id = await self._id_of(session, reference)
            if ticket_id is not None:
                record_event(session, ticket_id, kind, actor, data)
                await session.commit()
            return ticket_id

    async def id_of(self, reference: str | None) -> int | None:
        """The id of the ticket `reference`, or None."""
        if not reference:
            return None
        async with self._sessions() as session:
            return await self._id_of(session, reference)

    @staticmethod
    async def _id_of(session: AsyncSession, reference: str) -> int | None:
        return await session.scalar(select(Ticket.id).where(Ticket.reference == reference))

    async def update(
        self,
        ticket_id: int,
        *,
        actor: str,
        status: str | None = None,
        lang: str | None = None,
        intent: str | None = None,
    ) -> None:
        """Change what is given; a status change is recorded as an event."""
        values: dict[str, Any] = {"updated_at": utcnow()}
        if lang is not None:
            values["lang"] = lang
        if intent is not None:
            values["intent"] = intent
        async with self._sessions() as session:
            if status is not None:
                await change_status(session, ticket_id, status, actor)
            await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values))
            await session.commit()

    async def messages(self, ticket_id: int, *, since: datetime | None = None) -> Sequence[Message]:
        async with self._sessions() as session:
            query = select(Message).where(Message.ticket_id == ticket_id)
            if since is not None:
                query = query.where(Message.created_at > since)
            return (await session.scalars(query.order_by(Message.id))).all()

    async def events(self, ticket_id: int) -> Sequence[TicketEvent]:
        async with self._sessions() as session:
            query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
            return (await session.scalars(query.order_by(TicketEvent.id))).all()
