"""The staff verbs keep the ticket consistent: holder, assignee, status, events, resolved_at."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Author,
    Channel,
    Holder,
    Message,
    OutboxMail,
    TicketEvent,
    TicketStatus,
)
from helpdesk.desk import Desk
from helpdesk.desk.conversations import ConversationRef
from helpdesk.desk.drafts import Draft
from helpdesk.desk.mail import QueuedMail
from helpdesk.desk.staff import Refusal, Refused
from helpdesk.desk.tickets import new_reference
from helpdesk.engine.state import DialogueState
from tests.helpdesk.desk.conftest import Member, count, events, ticket


async def chat(desk: Desk, lang: str = "en") -> ConversationRef:
    said = Draft(Author.CUSTOMER, Channel.CHAT, "my mail bounces")
    created = await desk.conversations.create(
        secrets.token_urlsafe(32),
        new_reference(),
        Channel.CHAT,
        lang=lang,
        state=DialogueState(),
        messages=[said],
    )
    assert created is not None
    return created[0]


def words(lang: str | None) -> str:
    return f"joined ({lang})"


async def test_take_over_gives_the_ticket_to_the_staff_member(
    desk: Desk, sessions: async_sessionmaker[AsyncSession], agent: Member
) -> None:
    """Taking over sets holder, assignee and status together, with each event once."""
    ref = await chat(desk)
    notice = await desk.staff.take_over(agent, ref.ticket_id, words)
    taken = await ticket(sessions, ref.ticket_id)
    assert (taken.holder, taken.assignee_id, taken.status) == (
        Holder.STAFF,
        agent.id,
        TicketStatus.WAITING_STAFF,
    )
    assert (notice.author, notice.body) == (Author.SYSTEM, "joined (en)")
    [status] = await events(sessions, ref.ticket_id, "ticket.status")
    assert (status.actor, status.data) == (agent.email, {"from": "open", "to": "waiting_staff"})
    assert len(await events(sessions, ref.ticket_id, "staff.takeover")) == 1
    assert (await desk.conversations.current(ref)).version == ref.version + 1


async def test_hand_back_returns_the_ticket_to_the_bot(
    desk: Desk, sessions: async_sessionmaker[AsyncSession], agent: Member
) -> None:
    """Handing back clears the assignee, reopens, and lets the bot hold the chat again."""
    ref = await chat(desk, lang="fr")
    await desk.staff.take_over(agent, ref.ticket_id, words)
    notice = await desk.staff.hand_back(agent, ref.ticket_id, words)
    back = await ticket(sessions, ref.ticket_id)
    assert (back.holder, back.assignee_id, back.status) == (Holder.BOT, None, TicketStatus.OPEN)
    assert notice.body == "joined (fr)"
    moves = [e.data for e in await events(sessions, ref.ticket_id, "ticket.status")]
    assert moves == [
        {"from": "open", "to": "waiting_staff"},
        {"from": "waiting_staff", "to": "open"},
    ]
    assert len(await events(sessions, ref.ticket_id, "staff.handback")) == 1


async def test_resolve_sets_resolved_at_and_reopen_clears_it(
    desk: Desk, sessions: async_sessionmaker[AsyncSession], agent: Member
) -> None:
    """Resolving stamps resolved_at once (a second resolve records nothing); reopening
    clears it."""
    ref = await chat(desk)
    await desk.staff.set_status(agent, ref.ticket_id, TicketStatus.RESOLVED)
    await desk.staff.set_status(agent, ref.ticket_id, TicketStatus.RESOLVED)
    resolved = await ticket(sessions, ref.ticket_id)
    assert resolved.status == TicketStatus.RESOLVED
    assert resolved.resolved_at is not None
    assert len(await events(sessions, ref.ticket_id, "ticket.status")) == 1
    await desk.staff.set_status(agent, ref.ticket_id, TicketStatus.OPEN)
    reopened = await ticket(sessions, ref.ticket_id)
    assert (reopened.status, reopened.resolved_at) == (TicketStatus.OPEN, None)
    assert len(await events(sessions, ref.ticket_id, "ticket.status")) == 2


async def test_staff_speak_only_in_a_chat_they_hold(
    desk: Desk, sessions: async_sessionmaker[AsyncSession], agent: Member
) -> None:
    """A staff message is refused before the takeover and stored once after it."""
    ref = await chat(desk)
    with pytest.raises(Refused) as refused:
        await desk.staff.say(agent, ref.ticket_id, "Hello")
    assert refused.value.reason == Refusal.NOT_TAKEN
    await desk.staff.take_over(agent, ref.ticket_id, words)
    message = await desk.staff.say(agent, ref.ticket_id, "Hello")
    assert (message.author, message.staff_id) == (Author.STAFF, agent.id)
    [event] = await events(sessions, ref.ticket_id, "staff.message")
    assert event.data == {"message": message.id}


async def test_chat_verbs_refuse_an_email_ticket(desk: Desk, agent: Member) -> None:
    """Taking over an email thread is refused: there is no chat to hold."""
    opened = await desk.tickets.create(Channel.EMAIL, customer_email="client@exemple.fr")
    with pytest.raises(Refused) as refused:
        await desk.staff.take_over(agent, opened.id, words)
    assert refused.value.reason == Refusal.NOT_CHAT


async def test_email_answer_stores_message_mail_and_event_together(
    desk: Desk, sessions: async_sessionmaker[AsyncSession], agent: Member
) -> None:
    """An answer by email is a staff message, its outbox row and one event; without a
    customer address nothing is written."""
    mail = QueuedMail("support@zindex.fr", ["client@exemple.fr"], b"Subject: Re\r\n\r\nHi\r\n")
    bare = await desk.tickets.create(Channel.CHAT)
    with pytest.raises(Refused) as refused:
        await desk.staff.answer_by_email(agent, bare.id, "Hi", meta={}, mail=mail)
    assert refused.value.reason == Refusal.NO_EMAIL
    assert await count(sessions, OutboxMail, bare.id) == 0
    opened = await desk.tickets.create(Channel.EMAIL, customer_email="client@exemple.fr")
    meta = {"message_id": "<a@zindex.fr>", "to": "client@exemple.fr"}
    message = await desk.staff.answer_by_email(agent, opened.id, "Hi", meta=meta, mail=mail)
    async with sessions() as session:
        row = await session.scalar(select(OutboxMail).where(OutboxMail.ticket_id == opened.id))
    assert row is not None
    assert (row.message_id, row.raw, row.recipients) == (message.id, mail.raw, mail.recipients)
    assert message.meta == meta
    [event] = await events(sessions, opened.id, "staff.email")
    assert event.data == {"message": message.id, "to": "client@exemple.fr"}
    assert await count(sessions, Message, opened.id) == 1


async def test_a_note_is_an_event_and_never_a_message(
    desk: Desk, sessions: async_sessionmaker[AsyncSession], agent: Member
) -> None:
    """A note is recorded as one event naming its author, never as a message."""
    ref = await chat(desk)
    await desk.staff.note(agent, ref.ticket_id, "called the customer")
    [note] = await events(sessions, ref.ticket_id, "note")
    assert (note.actor, note.data) == (agent.email, {"text": "called the customer"})
    assert await count(sessions, Message, ref.ticket_id) == 1  # the customer's only
    assert await count(sessions, TicketEvent, ref.ticket_id) == 2  # created, note
