"""A received email is recorded in one transaction, with the ticket's rules kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import Author, Holder, Message, OutboxMail, TicketStatus
from helpdesk.desk import Desk
from helpdesk.desk.inbound import Outgoing, Record
from helpdesk.engine.state import DialogueState
from tests.helpdesk.desk.conftest import events, ticket

SENDER = "anne@exemple.fr"


def received(ticket_id: int | None = None, message_id: str = "<1@exemple.fr>") -> Record:
    return Record(
        "HD-AAAAAAAA", ticket_id, "Help", SENDER, "my mail bounces", {"message_id": message_id}
    )


def answer() -> Outgoing:
    return Outgoing("Hello", {}, {"message_id": "<r@zindex.fr>"}, "s@zindex.fr", [SENDER], b"x")


async def test_a_first_mail_opens_a_ticket_with_its_answer_and_mail(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The ticket is created once, with the customer's mail, the answer and its outbox row."""
    rec = received()
    rec.answer, rec.state, rec.events = answer(), DialogueState(), [("email.answered", {})]
    reference, outbox_id = await desk.inbound.record(rec)
    ticket_id = await desk.tickets.id_of(reference)
    assert ticket_id is not None
    assert len(await events(sessions, ticket_id, "ticket.created")) == 1
    assert [e.actor for e in await events(sessions, ticket_id, "email.answered")] == ["bot"]
    async with sessions() as session:
        authors = list(
            await session.scalars(
                select(Message.author).where(Message.ticket_id == ticket_id).order_by(Message.id)
            )
        )
        mail = await session.get(OutboxMail, outbox_id)
    assert authors == [Author.CUSTOMER, Author.BOT]
    assert mail is not None and mail.ticket_id == ticket_id


async def test_a_handoff_gives_the_thread_to_staff_once(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A handoff sets the holder and the waiting status, with one status event."""
    rec = received()
    rec.status, rec.handoff, rec.answer = TicketStatus.WAITING_STAFF, True, answer()
    reference, _ = await desk.inbound.record(rec)
    ticket_id = await desk.tickets.id_of(reference)
    assert ticket_id is not None
    handed = await ticket(sessions, ticket_id)
    assert (handed.holder, handed.status) == (Holder.STAFF, TicketStatus.WAITING_STAFF)
    [status] = await events(sessions, ticket_id, "ticket.status")
    assert (status.actor, status.data) == ("bot", {"from": "open", "to": "waiting_staff"})


async def test_a_mail_on_a_resolved_ticket_reopens_it(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The customer writing again reopens a resolved ticket and clears resolved_at."""
    opened = await desk.inbound.ensure_ticket(
        "HD-AAAAAAAA", subject="Help", customer_email=SENDER, lang="fr"
    )
    await desk.tickets.update(opened.id, actor="staff", status=TicketStatus.RESOLVED)
    await desk.inbound.record(received(opened.id, "<2@exemple.fr>"))
    reopened = await ticket(sessions, opened.id)
    assert (reopened.status, reopened.resolved_at) == (TicketStatus.OPEN, None)
    last = (await events(sessions, opened.id, "ticket.status"))[-1]
    assert (last.actor, last.data) == ("customer", {"from": "resolved", "to": "open"})
    again = await desk.inbound.ensure_ticket(
        "HD-AAAAAAAA", subject="Help", customer_email=SENDER, lang="fr"
    )
    assert again.id == opened.id
    assert len(await events(sessions, opened.id, "ticket.created")) == 1
