"""What the email responder reads in the help desk database; what it writes, it records
through the desk (helpdesk.desk.inbound: one received message, one transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import Author, Channel, Conversation, Holder, Message, Ticket
from helpdesk.desk.inbound import InboundDesk, Outgoing, Record
from helpdesk.engine.state import DialogueState

__all__ = ["EmailStore", "Outgoing", "Record", "TicketInfo"]


@dataclass(frozen=True)
class TicketInfo:
    id: int
    reference: str
    status: str
    customer_email: str | None
    lang: str | None
    conversation_id: int | None
    state: DialogueState
    holder: str = Holder.BOT


def _info(ticket: Ticket, conv: Conversation | None) -> TicketInfo:
    return TicketInfo(
        id=ticket.id,
        reference=ticket.reference,
        status=ticket.status,
        customer_email=ticket.customer_email,
        lang=ticket.lang,
        conversation_id=conv.id if conv else None,
        state=DialogueState.from_json(conv.state if conv else None),
        holder=ticket.holder,
    )


class EmailStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], desk: InboundDesk) -> None:
        """`desk`: what records a received mail (the store itself only reads)."""
        self._sessions = sessions
        self._desk = desk

    async def _load(self, session: AsyncSession, ticket: Ticket | None) -> TicketInfo | None:
        if ticket is None:
            return None
        conv = await session.scalar(
            select(Conversation)
            .where(Conversation.ticket_id == ticket.id)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(1)
        )
        return _info(ticket, conv)

    async def by_reference(self, reference: str) -> TicketInfo | None:
        async with self._sessions() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
            return await self._load(session, ticket)

    async def ensure_ticket(
        self, reference: str, *, subject: str, customer_email: str | None, lang: str | None
    ) -> TicketInfo:
        """The ticket `reference`, opened (with its `ticket.created` event) if need be."""
        ticket = await self._desk.ensure_ticket(
            reference, subject=subject, customer_email=customer_email, lang=lang
        )
        return _info(ticket, None)

    async def by_thread_message(self, sender: str, message_id: str) -> TicketInfo | None:
        """The ticket of `sender` holding the email `message_id`: their own earlier mail,
        or a staff answer sent from the console. Only that customer's tickets are
        searched: an index walk, not a scan of every message."""
        async with self._sessions() as session:
            ticket_id = await session.scalar(
                select(Message.ticket_id)
                .join(Ticket, Ticket.id == Message.ticket_id)
                .where(
                    Ticket.customer_email == sender,
                    Message.channel == Channel.EMAIL,
                    Message.meta["message_id"].as_string() == message_id,
                )
                .limit(1)
            )
            if ticket_id is None:
                return None
            return await self._load(session, await session.get(Ticket, ticket_id))

    async def holds(self, ticket_id: int, message_id: str, sender: str, subject: str) -> bool:
        """Whether the ticket already holds this received message (handled before).

        The same Message-ID from another sender or with another subject is another
        message (some devices reuse one id for everything): it is not dropped.
        """
        async with self._sessions() as session:
            metas = await session.scalars(
                select(Message.meta).where(
                    Message.ticket_id == ticket_id,
                    Message.author == Author.CUSTOMER,
                    Message.channel == Channel.EMAIL,
                    Message.meta["message_id"].as_string() == message_id,
                )
            )
            return any(m.get("from") == sender and m.get("subject") == subject for m in metas.all())

    async def answers_on_ticket(self, ticket_id: int, since: datetime) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count(Message.id)).where(
                    Message.ticket_id == ticket_id,
                    Message.author == Author.BOT,
                    Message.channel == Channel.EMAIL,
                    Message.created_at >= since,
                )
            )
            return int(count or 0)

    async def answers_to(self, address: str, since: datetime) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count(Message.id))
                .join(Ticket, Ticket.id == Message.ticket_id)
                .where(
                    Ticket.customer_email == address,
                    Message.author == Author.BOT,
                    Message.channel == Channel.EMAIL,
                    Message.created_at >= since,
                )
            )
            return int(count or 0)

    async def record(self, rec: Record) -> tuple[str, int | None]:
        """Store `rec` in one transaction; returns the ticket reference and outbox id."""
        return await self._desk.record(rec)
