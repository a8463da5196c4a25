"""What the email responder reads and writes in the help desk database.

One received message is recorded in one transaction: the ticket (new or found), the
customer's message (its Message-ID in `meta`), the bot's answer, the events, the
conversation state and the answer's outbox row. So either all of it is there or none,
and a Message-ID already on the ticket a message threads to means it was fully handled.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Author,
    Channel,
    Conversation,
    Holder,
    Message,
    OutboxMail,
    OutboxStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)
from helpdesk.desk.conversations import token_hash
from helpdesk.desk.status import change_status
from helpdesk.engine.state import DialogueState


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


@dataclass
class Outgoing:
    """The bot's answer: its transcript message and the mail for the outbox."""

    body: str
    payload: dict[str, Any]
    meta: dict[str, Any]
    mail_from: str
    recipients: list[str]
    raw: bytes


@dataclass
class Record:
    """Everything one received message leaves in the database."""

    reference: str  # of the ticket found, or of the one to create
    ticket_id: int | None
    subject: str
    customer_email: str | None
    inbound_body: str
    inbound_meta: dict[str, Any]
    lang: str | None = None
    intent: str | None = None
    status: str | None = None  # new ticket status, if it changes
    handoff: bool = False  # the bot handed the thread to staff: it answers no more
    state: DialogueState | None = None  # new conversation state, if the bot spoke
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answer: Outgoing | None = None


def _created(ticket_id: int) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket_id, kind="ticket.created", actor="customer", data={"channel": "email"}
    )


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
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

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
        """The ticket `reference`, created (with its `ticket.created` event) if need be."""
        async with self._sessions() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
            if ticket is None:
                ticket = self._new_ticket(session, reference, subject, customer_email, lang)
                await session.flush()
                session.add(_created(ticket.id))
                await session.commit()
            return _info(ticket, None)

    def _new_ticket(
        self,
        session: AsyncSession,
        reference: str,
        subject: str,
        customer_email: str | None,
        lang: str | None,
    ) -> Ticket:
        ticket = Ticket(
            reference=reference,
            channel=Channel.EMAIL,
            lang=lang,
            subject=subject[:500] or None,
            customer_email=customer_email[:320] if customer_email else None,
            status=TicketStatus.OPEN,
        )
        session.add(ticket)
        return ticket

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
        async with self._sessions() as session:
            ticket = await session.get(Ticket, rec.ticket_id) if rec.ticket_id else None
            if ticket is None:
                ticket = self._new_ticket(
                    session, rec.reference, rec.subject, rec.customer_email, rec.lang
                )
                await session.flush()
                session.add(_created(ticket.id))
            status = rec.status
            if status is None and ticket.status == TicketStatus.RESOLVED:
                status = TicketStatus.OPEN  # the customer wrote again: the ticket is live
            if status is not None:
                actor = "bot" if rec.answer or rec.status else "customer"
                await change_status(session, ticket.id, status, actor)
            ticket.updated_at = utcnow()
            ticket.lang = rec.lang or ticket.lang
            ticket.intent = rec.intent or ticket.intent
            if rec.handoff:
                ticket.holder = Holder.STAFF
            session.add(
                Message(
                    ticket_id=ticket.id,
                    author=Author.CUSTOMER,
                    channel=Channel.EMAIL,
                    body=rec.inbound_body,
                    meta=rec.inbound_meta,
                )
            )
            for kind, data in rec.events:
                session.add(TicketEvent(ticket_id=ticket.id, kind=kind, actor="bot", data=data))
            outbox_id = None
            if rec.answer is not None:
                answer = Message(
                    ticket_id=ticket.id,
                    author=Author.BOT,
                    channel=Channel.EMAIL,
                    body=rec.answer.body,
                    payload=rec.answer.payload,
                    meta=rec.answer.meta,
                )
                session.add(answer)
                await session.flush()
                mail = OutboxMail(
                    ticket_id=ticket.id,
                    message_id=answer.id,
                    mail_from=rec.answer.mail_from,
                    recipients=rec.answer.recipients,
                    raw=rec.answer.raw,
                    status=OutboxStatus.PENDING,
                )
                session.add(mail)
                await session.flush()
                outbox_id = mail.id
            if rec.state is not None:
                await self._save_state(session, ticket.id, rec.state, rec.lang)
            await session.commit()
            return ticket.reference, outbox_id

    async def _save_state(
        self, session: AsyncSession, ticket_id: int, state: DialogueState, lang: str | None
    ) -> None:
        conv = await session.scalar(
            select(Conversation)
            .where(Conversation.ticket_id == ticket_id)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(1)
        )
        if conv is None:
            # An email thread is never resumed by token: the hash of a random one fills
            # the column, and threading goes by Message-IDs.
            conv = Conversation(
                token_hash=token_hash(secrets.token_urlsafe(32)),
                ticket_id=ticket_id,
                channel=Channel.EMAIL,
                lang=lang,
                state=state.to_json(),
            )
            session.add(conv)
        else:
            conv.state = state.to_json()
            conv.lang = lang or conv.lang
            conv.updated_at = utcnow()
