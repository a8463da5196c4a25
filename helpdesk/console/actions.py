"""What staff do to a ticket. Each action is one transaction with an audit event naming
its author; what the customer must hear live goes through the chat hub afterwards."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.config import ProviderProfile
from helpdesk.console.auth import Staff
from helpdesk.console.mail import Thread, compose, reply_subject
from helpdesk.console.texts import Texts
from helpdesk.db.models import (
    Author,
    Channel,
    Holder,
    Message,
    OutboxMail,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)
from helpdesk.desk import change_status
from helpdesk.desk.conversations import set_holder
from helpdesk.desk.hub import ChatHub, message_event

MAX_TEXT = 20_000


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


def _text(text: str) -> str:
    text = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if not text:
        raise Refused(Refusal.EMPTY)
    if len(text) > MAX_TEXT:
        raise Refused(Refusal.TOO_LONG)
    return text


class TicketActions:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChatHub,
        texts: Texts,
        provider: ProviderProfile,
        message_ids: Callable[[str], str],
    ) -> None:
        """`message_ids` gives a new signed Message-ID for a mail of a ticket reference."""
        self._sessions = sessions
        self._message_ids = message_ids
        self._hub = hub
        self._texts = texts
        self._provider = provider

    # -- live chat ------------------------------------------------------------------------

    async def take_over(self, staff: Staff, ticket_id: int) -> None:
        """Staff take the chat: the bot stops, the customer is told a person joined."""
        async with self._sessions() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.channel != Channel.CHAT:
                raise Refused(Refusal.NOT_CHAT)
            await set_holder(session, ticket.id, Holder.STAFF)
            await change_status(session, ticket.id, TicketStatus.WAITING_STAFF, staff.email)
            ticket.assignee_id = staff.id
            ticket.updated_at = utcnow()
            notice = self._system(ticket, "customer.joined")
            session.add(notice)
            session.add(TicketEvent(ticket_id=ticket.id, kind="staff.takeover", actor=staff.email))
            await session.commit()
        await self._hub.publish(ticket_id, {"kind": "handoff", "active": True})
        await self._hub.publish(ticket_id, message_event(notice))

    async def hand_back(self, staff: Staff, ticket_id: int) -> None:
        """The bot answers again; the customer is told so."""
        async with self._sessions() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.channel != Channel.CHAT:
                raise Refused(Refusal.NOT_CHAT)
            await set_holder(session, ticket.id, Holder.BOT)
            await change_status(session, ticket.id, TicketStatus.OPEN, staff.email)
            ticket.assignee_id = None
            ticket.updated_at = utcnow()
            notice = self._system(ticket, "customer.handed_back")
            session.add(notice)
            session.add(TicketEvent(ticket_id=ticket.id, kind="staff.handback", actor=staff.email))
            await session.commit()
        await self._hub.publish(ticket_id, {"kind": "handoff", "active": False})
        await self._hub.publish(ticket_id, message_event(notice))

    async def say(self, staff: Staff, ticket_id: int, text: str) -> Message:
        """A staff message in a chat staff have taken over; it reaches the customer live."""
        text = _text(text)
        async with self._sessions() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.channel != Channel.CHAT:
                raise Refused(Refusal.NOT_CHAT)
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
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    kind="staff.message",
                    actor=staff.email,
                    data={"message": message.id},
                )
            )
            await session.commit()
        await self._hub.publish(ticket_id, message_event(message))
        return message

    # -- ticket state ---------------------------------------------------------------------

    async def note(self, staff: Staff, ticket_id: int, text: str) -> None:
        """An internal note: staff only, never shown to the customer."""
        text = _text(text)
        async with self._sessions() as session:
            ticket = await self._get(session, ticket_id)
            session.add(
                TicketEvent(
                    ticket_id=ticket.id, kind="note", actor=staff.email, data={"text": text}
                )
            )
            await session.commit()

    async def set_status(self, staff: Staff, ticket_id: int, status: TicketStatus) -> None:
        """Resolve or reopen."""
        async with self._sessions() as session:
            ticket = await self._get(session, ticket_id)
            await change_status(session, ticket.id, status, staff.email)
            ticket.updated_at = utcnow()
            await session.commit()

    # -- email ----------------------------------------------------------------------------

    async def email(self, staff: Staff, ticket_id: int, text: str, lang: str) -> Message:
        """An answer by email through the outbox, threaded after the customer's last mail."""
        text = _text(text)
        async with self._sessions() as session:
            ticket = await self._get(session, ticket_id)
            if not ticket.customer_email:
                raise Refused(Refusal.NO_EMAIL)
            last = await session.scalar(
                select(Message)
                .where(Message.ticket_id == ticket.id, Message.channel == Channel.EMAIL)
                # Along the (ticket_id, created_at) index, not the primary key.
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(1)
            )
            thread = Thread.after(last.meta if last is not None else None)
            message = Message(
                ticket_id=ticket.id,
                author=Author.STAFF,
                channel=Channel.EMAIL,
                body=text,
                staff_id=staff.id,
            )
            session.add(message)
            await self._queue_mail(session, ticket, message, text, lang, thread)
            ticket.updated_at = utcnow()
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    kind="staff.email",
                    actor=staff.email,
                    data={"message": message.id, "to": ticket.customer_email},
                )
            )
            await session.commit()
        return message

    async def send_transcript(self, staff: Staff, ticket_id: int, body: str, lang: str) -> None:
        """Mail the customer their conversation (asked for by them), through the outbox."""
        async with self._sessions() as session:
            ticket = await self._get(session, ticket_id)
            if not ticket.customer_email:
                raise Refused(Refusal.NO_EMAIL)
            sent = compose(
                self._provider,
                to=ticket.customer_email,
                subject=self._texts.get(
                    ticket.lang or lang, "customer.transcript_subject", reference=ticket.reference
                ),
                body=body,
                thread=Thread(None, ()),
                message_id=self._message_ids(ticket.reference),
            )
            session.add(
                OutboxMail(
                    ticket_id=ticket.id,
                    mail_from=sent.mail_from,
                    recipients=[sent.recipient],
                    raw=sent.raw,
                )
            )
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    kind="transcript.sent",
                    actor=staff.email,
                    data={"to": ticket.customer_email},
                )
            )
            await session.commit()

    # -- helpers --------------------------------------------------------------------------

    async def _queue_mail(
        self,
        session: AsyncSession,
        ticket: Ticket,
        message: Message,
        text: str,
        lang: str,
        thread: Thread,
    ) -> None:
        assert ticket.customer_email is not None
        sent = compose(
            self._provider,
            to=ticket.customer_email,
            subject=reply_subject(
                ticket.subject,
                ticket.reference,
                self._texts.get(ticket.lang or lang, "customer.default_subject"),
            ),
            body=text,
            thread=thread,
            message_id=self._message_ids(ticket.reference),
        )
        meta: dict[str, Any] = {"message_id": sent.message_id, "to": sent.recipient}
        if thread.in_reply_to:
            meta["in_reply_to"] = thread.in_reply_to
            meta["references"] = list(thread.references)
        message.meta = meta
        await session.flush()
        session.add(
            OutboxMail(
                ticket_id=ticket.id,
                message_id=message.id,
                mail_from=sent.mail_from,
                recipients=[sent.recipient],
                raw=sent.raw,
            )
        )

    async def _get(self, session: AsyncSession, ticket_id: int) -> Ticket:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None:
            raise LookupError(ticket_id)
        return ticket

    def _system(self, ticket: Ticket, key: str) -> Message:
        return Message(
            ticket_id=ticket.id,
            author=Author.SYSTEM,
            channel=Channel.CHAT,
            body=self._texts.get(ticket.lang or "fr", key),
            payload={},
            meta={},
        )
