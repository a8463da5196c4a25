"""What staff do to a ticket: take over, hand back, say, note, resolve or reopen, answer
by email, mail the transcript. Each verb is one transaction with one audit event naming
its author; who holds the conversation, the assignee and the status change together here.

The console validates what staff typed and renders what the customer reads (a notice in
the ticket's language); the desk stores it and keeps the ticket consistent.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Author,
    Channel,
    Holder,
    Message,
    Ticket,
    TicketStatus,
    utcnow,
)
from helpdesk.desk.conversations import set_holder
from helpdesk.desk.events import record_event
from helpdesk.desk.mail import QueuedMail, queue
from helpdesk.desk.status import change_status


class Refusal(enum.StrEnum):
    """Why an action was not done; each has a text in the console's wording."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_CHAT = "not_chat"
    NOT_TAKEN = "not_taken"
    NO_EMAIL = "no_email"


class Refused(Exception):
    """The action cannot be done on this ticket; staff see the reason's text."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


class StaffMember(Protocol):
    """Who acts: the id assigned and credited, the address the events name."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...


@dataclass(frozen=True)
class MailFacts:
    """What an answer by email is composed from: the ticket's address, subject, reference
    and language, and the channel data of the ticket's last email (to thread after it)."""

    reference: str
    customer_email: str | None
    subject: str | None
    lang: str | None
    last_email: dict[str, Any] | None


# A notice to the customer, in the language of the ticket (None: not known yet).
Notice = Callable[[str | None], str]


class StaffDesk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # -- live chat ------------------------------------------------------------------------

    async def take_over(self, staff: StaffMember, ticket_id: int, notice: Notice) -> Message:
        """Staff hold the chat: the bot stops, the ticket waits on staff and is assigned
        to `staff`; returns the notice stored for the customer."""
        return await self._hold(staff, ticket_id, notice, taken=True)

    async def hand_back(self, staff: StaffMember, ticket_id: int, notice: Notice) -> Message:
        """The bot holds the chat again, afresh; the ticket is open and unassigned."""
        return await self._hold(staff, ticket_id, notice, taken=False)

    async def _hold(
        self, staff: StaffMember, ticket_id: int, notice: Notice, *, taken: bool
    ) -> Message:
        async with self._sessions() as session:
            ticket = await _chat_ticket(session, ticket_id)
            await set_holder(session, ticket.id, Holder.STAFF if taken else Holder.BOT)
            status = TicketStatus.WAITING_STAFF if taken else TicketStatus.OPEN
            await change_status(session, ticket.id, status, staff.email)
            ticket.assignee_id = staff.id if taken else None
            ticket.updated_at = utcnow()
            message = Message(
                ticket_id=ticket.id,
                author=Author.SYSTEM,
                channel=Channel.CHAT,
                body=notice(ticket.lang),
                payload={},
                meta={},
            )
            session.add(message)
            kind = "staff.takeover" if taken else "staff.handback"
            record_event(session, ticket.id, kind, staff.email)
            await session.commit()
            return message

    async def say(self, staff: StaffMember, ticket_id: int, text: str) -> Message:
        """A staff message in a chat staff hold."""
        async with self._sessions() as session:
            ticket = await _chat_ticket(session, ticket_id)
            if ticket.holder != Holder.STAFF:
                raise Refused(Refusal.NOT_TAKEN)
            message = Message(
                ticket_id=ticket.id,
                author=Author.STAFF,
                channel=Channel.CHAT,
                body=text,
                staff_id=staff.id,
            )
            session.add(message)
            ticket.updated_at = utcnow()
            await session.flush()
            record_event(session, ticket.id, "staff.message", staff.email, {"message": message.id})
            await session.commit()
            return message

    # -- ticket state ---------------------------------------------------------------------

    async def note(self, staff: StaffMember, ticket_id: int, text: str) -> None:
        """An internal note: an event only, never a message the customer could see."""
        async with self._sessions() as session:
            ticket = await _ticket(session, ticket_id)
            record_event(session, ticket.id, "note", staff.email, {"text": text})
            await session.commit()

    async def set_status(self, staff: StaffMember, ticket_id: int, status: TicketStatus) -> None:
        """Resolve or reopen (see change_status for the event and `resolved_at`)."""
        async with self._sessions() as session:
            ticket = await _ticket(session, ticket_id)
            await change_status(session, ticket.id, status, staff.email)
            ticket.updated_at = utcnow()
            await session.commit()

    # -- email ----------------------------------------------------------------------------

    async def mail_facts(self, ticket_id: int) -> MailFacts:
        async with self._sessions() as session:
            ticket = await _ticket(session, ticket_id)
            last = await session.scalar(
                select(Message.meta)
                .where(Message.ticket_id == ticket.id, Message.channel == Channel.EMAIL)
                # Along the (ticket_id, created_at) index, not the primary key.
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(1)
            )
            return MailFacts(
                ticket.reference, ticket.customer_email, ticket.subject, ticket.lang, last
            )

    async def answer_by_email(
        self,
        staff: StaffMember,
        ticket_id: int,
        text: str,
        *,
        meta: dict[str, Any],
        mail: QueuedMail,
    ) -> Message:
        """A staff answer by email: the transcript message (its channel data `meta`) and
        its outbox row, together."""
        async with self._sessions() as session:
            ticket = await _mailable(session, ticket_id)
            message = Message(
                ticket_id=ticket.id,
                author=Author.STAFF,
                channel=Channel.EMAIL,
                body=text,
                staff_id=staff.id,
                meta=meta,
            )
            session.add(message)
            await session.flush()
            await queue(session, ticket.id, mail, message.id)
            ticket.updated_at = utcnow()
            data = {"message": message.id, "to": ticket.customer_email}
            record_event(session, ticket.id, "staff.email", staff.email, data)
            await session.commit()
            return message

    async def mail_transcript(self, staff: StaffMember, ticket_id: int, mail: QueuedMail) -> None:
        """The customer's conversation mailed to them (they asked for it)."""
        async with self._sessions() as session:
            ticket = await _mailable(session, ticket_id)
            await queue(session, ticket.id, mail)
            data = {"to": ticket.customer_email}
            record_event(session, ticket.id, "transcript.sent", staff.email, data)
            await session.commit()


async def _ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(ticket_id)
    return ticket


async def _chat_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await _ticket(session, ticket_id)
    if ticket.channel != Channel.CHAT:
        raise Refused(Refusal.NOT_CHAT)
    return ticket


async def _mailable(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await _ticket(session, ticket_id)
    if not ticket.customer_email:
        raise Refused(Refusal.NO_EMAIL)
    return ticket
