"""Erasure removes a customer's tickets with everything hanging from them, and no more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import (
    Channel,
    Conversation,
    Message,
    OutboxMail,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)
from helpdesk.desk import Desk
from helpdesk.desk.erase import erase_customer, erase_ticket, purge_resolved
from helpdesk.desk.inbound import Outgoing, Record
from helpdesk.engine.state import DialogueState
from tests.helpdesk.desk.conftest import count

TABLES = (Message, TicketEvent, Conversation, OutboxMail)


async def mailed(desk: Desk, sender: str, reference: str) -> int:
    """A ticket opened by an email of `sender`, answered, with its conversation state."""
    answer = Outgoing("Hello", {}, {}, "support@zindex.fr", [sender], b"Subject: Re\r\n\r\n")
    rec = Record(reference, None, "Help", sender, "my mail bounces", {"message_id": "<m@x>"})
    rec.answer, rec.state = answer, DialogueState()
    await desk.inbound.record(rec)
    found = await desk.tickets.id_of(reference)
    assert found is not None
    return found


async def test_erasing_a_customer_removes_their_tickets_and_everything_on_them(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Messages, events, conversations and mail of the customer go (either spelling of
    their address); another customer's stay."""
    theirs = [
        await mailed(desk, "anne@exemple.fr", "HD-AAAAAAAA"),
        await mailed(desk, "Anne@exemple.fr", "HD-AAAAAAAB"),
    ]
    other = await mailed(desk, "paul@exemple.fr", "HD-BBBBBBBB")
    async with sessions() as session:
        erased = await erase_customer(session, "Anne@exemple.fr")
        await session.commit()
    assert erased == 2
    for ticket_id in theirs:
        assert await desk.tickets.get(ticket_id) is None
        assert [await count(sessions, table, ticket_id) for table in TABLES] == [0, 0, 0, 0]
    assert [await count(sessions, table, other) for table in TABLES] == [2, 1, 1, 1]


async def test_erasing_a_ticket_by_reference(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """One ticket goes by its reference; an unknown reference erases nothing."""
    gone = await mailed(desk, "anne@exemple.fr", "HD-AAAAAAAA")
    kept = await mailed(desk, "anne@exemple.fr", "HD-AAAAAAAB")
    async with sessions() as session:
        assert await erase_ticket(session, "HD-AAAAAAAA") == 1
        assert await erase_ticket(session, "HD-ZZZZZZZZ") == 0
        await session.commit()
    assert await desk.tickets.get(gone) is None
    assert await desk.tickets.get(kept) is not None


async def test_purge_takes_only_tickets_resolved_before_the_cutoff(
    desk: Desk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Resolved long ago goes, in batches; resolved lately or still open stays."""
    old = [await desk.tickets.create(Channel.CHAT) for _ in range(3)]
    recent = await desk.tickets.create(Channel.CHAT)
    live = await desk.tickets.create(Channel.CHAT)
    for opened in [*old, recent]:
        await desk.tickets.update(opened.id, actor="system", status=TicketStatus.RESOLVED)
    async with sessions() as session:
        long_ago = utcnow() - timedelta(days=40)
        ids = [t.id for t in old]
        await session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(resolved_at=long_ago))
        await session.commit()
    cutoff = utcnow() - timedelta(days=30)
    async with sessions() as session:
        assert await purge_resolved(session, cutoff, limit=2) == 2
        assert await purge_resolved(session, cutoff, limit=2) == 1
        assert await purge_resolved(session, cutoff, limit=2) == 0
        await session.commit()
    assert [await desk.tickets.get(t.id) for t in old] == [None, None, None]
    assert await desk.tickets.get(recent.id) is not None
    assert await desk.tickets.get(live.id) is not None
