"""Notes, status changes and email answers: each one stored with an event naming its author."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from helpdesk.db.models import Message, OutboxMail, Ticket, TicketEvent
from helpdesk.keys import EMAIL, SESSIONS
from tests.helpdesk.console.conftest import AGENT, Desk
from tests.helpdesk.console.test_takeover import act


async def email_ticket(desk: Desk, *, with_thread: bool = True) -> Ticket:
    async with desk.app[SESSIONS]() as session:
        ticket = Ticket(
            reference="HD-EMAIL001",
            channel="email",
            lang="fr",
            customer_email="jean@exemple.fr",
            subject="Mes mails reviennent",
        )
        meta = {"message_id": "<second@exemple.fr>", "references": ["<first@exemple.fr>"]}
        ticket.messages.append(
            Message(
                author="customer",
                channel="email",
                body="Bonjour, mes mails reviennent.",
                meta=meta if with_thread else {},
            )
        )
        session.add(ticket)
        await session.commit()
        return ticket


async def events(desk: Desk, ticket_id: int) -> list[tuple[str, str]]:
    async with desk.app[SESSIONS]() as session:
        rows = await session.execute(
            select(TicketEvent.kind, TicketEvent.actor)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        )
        return [(kind, actor) for kind, actor in rows.all()]


async def test_email_answer_goes_through_the_outbox_threaded(desk: Desk) -> None:
    """The answer is a staff message and an outbox row replying to the customer's last
    mail (In-Reply-To, References), with the ticket reference in the subject."""
    ticket = await email_ticket(desk)
    agent = await desk.staff()
    await act(agent, ticket.reference, "email", text="Bonjour Jean,\nvoici la solution.")
    async with desk.app[SESSIONS]() as session:
        mail = (await session.scalars(select(OutboxMail))).one()
        answer = (await session.scalars(select(Message).where(Message.author == "staff"))).one()
    assert mail.ticket_id == ticket.id and mail.message_id == answer.id
    assert mail.recipients == ["jean@exemple.fr"] and mail.status == "pending"
    parsed = message_from_bytes(mail.raw, policy=default)
    assert parsed["In-Reply-To"] == "<second@exemple.fr>"
    assert parsed["References"] == "<first@exemple.fr> <second@exemple.fr>"
    assert parsed["Subject"] == "Re: Mes mails reviennent [HD-EMAIL001]"
    assert parsed["From"].addresses[0].addr_spec == "support@zindex.fr"
    assert "voici la solution" in parsed.get_content()
    assert answer.channel == "email"
    # the id is longer than a line: folded, which the parsed value shows as a leading space
    assert answer.meta["message_id"] == parsed["Message-ID"].strip()
    # Signed like the bot's answers: a reply quoting only this id finds the ticket.
    assert desk.app[EMAIL].ids.reference_of(parsed["Message-ID"]) == ticket.reference
    assert ("staff.email", AGENT[0]) in await events(desk, ticket.id)


async def test_notes_status_and_transcript_mail(desk: Desk) -> None:
    """A note stays internal (an event, not a message); resolve and reopen are events by
    the agent; the transcript mailed to the customer leaves the note out."""
    ticket = await email_ticket(desk, with_thread=False)
    agent = await desk.staff()
    await act(agent, ticket.reference, "note", text="Client VIP, rappeler demain")
    await act(agent, ticket.reference, "resolve")
    await act(agent, ticket.reference, "reopen")
    await act(agent, ticket.reference, "send-transcript")
    page = await (await agent.get(f"/staff/tickets/{ticket.reference}")).text()
    assert "Client VIP, rappeler demain" in page
    async with desk.app[SESSIONS]() as session:
        bodies = (await session.scalars(select(Message.body))).all()
        mail = (await session.scalars(select(OutboxMail))).one()
        status = (await session.get(Ticket, ticket.id)).status  # type: ignore[union-attr]
    assert not any("VIP" in body for body in bodies)
    parsed = message_from_bytes(mail.raw, policy=default)
    text = parsed.get_content()  # type: ignore[attr-defined]
    assert "mes mails reviennent" in text.lower() and "VIP" not in text
    assert desk.app[EMAIL].ids.reference_of(parsed["Message-ID"]) == ticket.reference
    assert status == "open"
    mine = [kind for kind, actor in await events(desk, ticket.id) if actor == AGENT[0]]
    assert mine == ["note", "ticket.status", "ticket.status", "transcript.sent"]


async def test_refusals_are_shown_not_stored(desk: Desk) -> None:
    """An empty note, a takeover of an email ticket, an email with no address: refused."""
    ticket = await email_ticket(desk)
    agent = await desk.staff()
    token_page = await (await agent.get(f"/staff/tickets/{ticket.reference}")).text()
    token = token_page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for action, data, reason in (
        ("note", {"text": "   "}, "empty"),
        ("takeover", {}, "not_chat"),
        ("message", {"text": "hello"}, "not_chat"),
    ):
        response = await agent.post(
            f"/staff/tickets/{ticket.reference}/{action}",
            data={"csrf": token, **data},
            allow_redirects=False,
        )
        assert response.headers["Location"].endswith(f"refused={reason}"), action
    async with desk.app[SESSIONS]() as session:
        kinds = (
            await session.scalars(select(TicketEvent.kind).where(TicketEvent.actor == AGENT[0]))
        ).all()
    assert kinds == []
    unknown = await agent.get("/staff/tickets/HD-NOSUCH00")
    assert unknown.status == 404
