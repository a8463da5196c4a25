"""Recording a received email: the one transaction that leaves it on a ticket.

The ticket (new or found), the customer's message (its Message-ID in `meta`), the bot's
answer with its outbox row, the events, the conversation state and the ticket's status and
holder: either all of it is stored or none, so a Message-ID already on the ticket a
message threads to means it was fully handled.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Author,
    Channel,
    Conversation,
    Holder,
    Message,
    Ticket,
    TicketStatus,
    utcnow,
)
from helpdesk.desk.conversations import set_holder, token_hash
from helpdesk.desk.events import record_event
from helpdesk.desk.mail import QueuedMail, queue
from helpdesk.desk.status import change_status
from helpdesk.engine.state import DialogueState


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


class InboundDesk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def ensure_ticket(
        self, reference: str, *, subject: str, customer_email: str | None, lang: str | None
    ) -> Ticket:
        """The ticket `reference`, opened (with its `ticket.created` event) if need be."""
        async with self._sessions() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
            if ticket is None:
                ticket = await _open(session, reference, subject, customer_email, lang)
                await session.commit()
            return ticket

    async def record(self, rec: Record) -> tuple[str, int | None]:
        """Store `rec` in one transaction; returns the ticket reference and outbox id."""
        async with self._sessions() as session:
            ticket = await session.get(Ticket, rec.ticket_id) if rec.ticket_id else None
            if ticket is None:
                ticket = await _open(
                    session, rec.reference, rec.subject, rec.customer_email, rec.lang
                )
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
                await set_holder(session, ticket.id, Holder.STAFF)
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
                record_event(session, ticket.id, kind, "bot", data)
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
                mail = QueuedMail(rec.answer.mail_from, rec.answer.recipients, rec.answer.raw)
                outbox_id = await queue(session, ticket.id, mail, answer.id)
            if rec.state is not None:
                await _save_state(session, ticket.id, rec.state, rec.lang)
            await session.commit()
            return ticket.reference, outbox_id


async def _open(
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
    await session.flush()
    record_event(session, ticket.id, "ticket.created", "customer", {"channel": "email"})
    return ticket


async def _save_state(
    session: AsyncSession, ticket_id: int, state: DialogueState, lang: str | None
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
