"""A ticket's whole story for staff: messages with what the bot understood and checked,
the delivery of each email, and the audit trail; and its JSON export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Channel,
    Holder,
    Message,
    OutboxMail,
    StaffUser,
    Ticket,
    TicketEvent,
)


@dataclass(frozen=True)
class Delivery:
    """What became of one outgoing email."""

    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class Entry:
    """One message of the transcript."""

    id: int
    author: str
    channel: str
    body: str
    created_at: datetime
    understood: dict[str, Any] | None
    checks: list[dict[str, Any]]
    staff: str | None
    delivery: Delivery | None


@dataclass(frozen=True)
class Transcript:
    ticket: Ticket
    entries: list[Entry]
    events: list[TicketEvent]
    assignee: str | None
    live: bool  # a chat conversation the bot has handed to staff

    @property
    def is_chat(self) -> bool:
        return self.ticket.channel == Channel.CHAT

    def to_json(self) -> dict[str, Any]:
        """The export: everything staff see, as plain data."""
        t = self.ticket
        return {
            "reference": t.reference,
            "status": t.status,
            "channel": t.channel,
            "lang": t.lang,
            "intent": t.intent,
            "subject": t.subject,
            "customer_email": t.customer_email,
            "assignee": self.assignee,
            "created_at": _iso(t.created_at),
            "updated_at": _iso(t.updated_at),
            "resolved_at": _iso(t.resolved_at),
            "messages": [
                {
                    "id": e.id,
                    "at": _iso(e.created_at),
                    "author": e.author,
                    "channel": e.channel,
                    "staff": e.staff,
                    "text": e.body,
                    "understood": e.understood,
                    "checks": e.checks,
                    "delivery": None
                    if e.delivery is None
                    else {
                        "status": e.delivery.status,
                        "attempts": e.delivery.attempts,
                        "last_error": e.delivery.last_error,
                        "sent_at": _iso(e.delivery.sent_at),
                    },
                }
                for e in self.entries
            ],
            "events": [
                {"at": _iso(ev.created_at), "kind": ev.kind, "actor": ev.actor, "data": ev.data}
                for ev in self.events
            ],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class TranscriptStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def ticket(self, reference: str) -> Ticket | None:
        if len(reference) > 32:
            return None
        async with self._sessions() as session:
            return await session.scalar(select(Ticket).where(Ticket.reference == reference))

    async def load(self, reference: str) -> Transcript | None:
        """The transcript of the ticket `reference`, or None when there is no such ticket."""
        ticket = await self.ticket(reference)
        if ticket is None:
            return None
        async with self._sessions() as session:
            messages = (
                await session.scalars(
                    select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
                )
            ).all()
            events = (
                await session.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == ticket.id)
                    .order_by(TicketEvent.id)
                )
            ).all()
            mails = (
                await session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == ticket.id))
            ).all()
            staff_ids = {m.staff_id for m in messages if m.staff_id} | (
                {ticket.assignee_id} if ticket.assignee_id else set()
            )
            names = dict(
                (
                    await session.execute(
                        select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(staff_ids))
                    )
                ).all()
            )
        deliveries = {
            m.message_id: Delivery(m.status, m.attempts, m.last_error, m.sent_at)
            for m in mails
            if m.message_id is not None
        }
        entries = [
            Entry(
                id=m.id,
                author=m.author,
                channel=m.channel,
                body=m.body,
                created_at=m.created_at,
                understood=m.payload.get("understood") or None,
                checks=list(m.payload.get("checks") or []),
                staff=names.get(m.staff_id) if m.staff_id else None,
                delivery=deliveries.get(m.id),
            )
            for m in messages
        ]
        return Transcript(
            ticket=ticket,
            entries=entries,
            events=list(events),
            assignee=names.get(ticket.assignee_id) if ticket.assignee_id else None,
            live=ticket.holder == Holder.STAFF,
        )
