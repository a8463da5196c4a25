"""The outbox isolates every mail: one bad mail is its own outcome, never the batch's."""

from __future__ import annotations

import mailbox
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.db import session_factory
from helpdesk.db.models import OutboxMail, OutboxStatus
from helpdesk.desk.tickets import TicketStore
from helpdesk.outbox import Backoff, MaildirTransport, Outbox, OutboxSender
from helpdesk.outbox.journal import HandoverJournal
from helpdesk.outbox.store import OutgoingMail
from helpdesk.outbox.transport import Delivery
from tests.conftest import free_port
from tests.helpdesk.outbox.relay import Relay, running_relay
from tests.helpdesk.outbox.test_outbox import Clock, smtp


@pytest.fixture
def engine(migrated_engine: AsyncEngine) -> AsyncEngine:
    return migrated_engine


def answer(to: str, n: int = 0) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Support <support@zindex.fr>"
    msg["To"] = to
    msg["Subject"] = f"Réponse {n}"
    msg.set_content(f"Bonjour {n}")
    return msg


async def rows(engine: AsyncEngine) -> list[OutboxMail]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


async def test_a_utf8_recipient_without_smtputf8_fails_alone(engine: AsyncEngine) -> None:
    """An internationalised address the relay cannot take fails with the reason on the
    ticket, and the mails queued behind it in the same batch are delivered."""
    sessions = session_factory(engine)
    tickets = TicketStore(sessions)
    ticket = await tickets.create("email")
    outbox = Outbox(sessions)
    await outbox.enqueue(answer("Jérôme <jérôme@exemple.fr>"), ticket_id=ticket.id)
    for n in range(1, 4):
        await outbox.enqueue(answer(f"client{n}@exemple.fr", n))
    with running_relay() as relay:  # aiosmtpd offers no SMTPUTF8 unless told to
        assert await OutboxSender(outbox, smtp(relay.port)).run_once() == 4
    assert sorted(r.rcpt_tos[0] for r in relay.received) == [
        f"client{n}@exemple.fr" for n in range(1, 4)
    ]
    first, *others = await rows(engine)
    assert first.status == OutboxStatus.FAILED
    assert "SMTPUTF8" in (first.last_error or "") and "jérôme@exemple.fr" in first.last_error
    assert all(r.status == OutboxStatus.SENT for r in others)
    [event] = [e for e in await tickets.events(ticket.id) if e.kind == "mail.failed"]
    assert "SMTPUTF8" in event.data["error"]


async def test_a_utf8_recipient_goes_with_smtputf8(engine: AsyncEngine) -> None:
    """A relay that offers SMTPUTF8 gets the internationalised address as it is."""
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(answer("Jérôme <jérôme@exemple.fr>"))
    relay = Relay(free_port())
    with running_relay(relay=relay, smtputf8=True) as relay:
        assert await OutboxSender(outbox, smtp(relay.port)).run_once() == 1
    [got] = relay.received
    assert got.rcpt_tos == ["jérôme@exemple.fr"]
    # RFC 6532: the header carries the address in UTF-8, not an encoded word.
    assert "To: Jérôme <jérôme@exemple.fr>".encode() in got.data
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT and "queued" in (row.relay_reply or "")


@pytest.mark.parametrize(
    "address",
    ["j\ufffdr\ufffdme@exemple.fr", "a@b@c", "client@", "<>", "x\r\nBcc: y@z.fr"],
)
async def test_an_unusable_address_is_refused_at_once(engine: AsyncEngine, address: str) -> None:
    """A broken address (wrongly decoded, malformed, injected) never reaches a relay: the
    row is failed with the reason at once, the ticket says it, the caller does not crash."""
    sessions = session_factory(engine)
    tickets = TicketStore(sessions)
    ticket = await tickets.create("email")
    outbox = Outbox(sessions)
    message = EmailMessage()
    message["From"] = "support@zindex.fr"
    message.set_content("x")
    # Bypass the header check of EmailMessage, as a compat32 message from a parser would.
    message._headers.append(("To", address))  # type: ignore[attr-defined]
    await outbox.enqueue(message, ticket_id=ticket.id)
    await outbox.enqueue(answer("ok@exemple.fr"))
    with running_relay() as relay:
        await OutboxSender(outbox, smtp(relay.port)).run_once()
    assert [r.rcpt_tos for r in relay.received] == [["ok@exemple.fr"]]
    bad, good = await rows(engine)
    assert bad.status == OutboxStatus.FAILED and bad.last_error
    assert good.status == OutboxStatus.SENT
    assert "mail.failed" in [e.kind for e in await tickets.events(ticket.id)]


async def test_an_unexpected_error_is_that_mails_outcome(
    engine: AsyncEngine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library error on one mail (the audit's UnicodeEncodeError at RCPT) leaves it
    pending with the cause, and the other mails of the batch are delivered."""
    outbox = Outbox(session_factory(engine))
    ids = [await outbox.enqueue(answer(f"c{n}@exemple.fr", n)) for n in range(3)]
    transport = MaildirTransport(tmp_path / "out")
    original = MaildirTransport.send

    async def send(self: MaildirTransport, mail: OutgoingMail) -> str:
        if mail.id == ids[0]:
            "é".encode("ascii")  # raises UnicodeEncodeError, as aiosmtplib did
        return await original(self, mail)

    monkeypatch.setattr(MaildirTransport, "send", send)
    assert await OutboxSender(outbox, transport).run_once() == 3
    first, *others = await rows(engine)
    assert first.status == OutboxStatus.PENDING and "UnicodeEncodeError" in first.last_error
    assert all(r.status == OutboxStatus.SENT for r in others)
    assert len(list(mailbox.Maildir(tmp_path / "out", create=False))) == 2


async def test_a_stuck_sending_mail_is_given_up(engine: AsyncEngine, tmp_path: Any) -> None:
    """A mail left `sending` (its process died on it, again and again) is failed once the
    give-up time has passed, like any waiting mail, instead of being retried forever."""
    clock = Clock()
    sessions = session_factory(engine)
    tickets = TicketStore(sessions)
    ticket = await tickets.create("email")
    outbox = Outbox(sessions, clock=clock)
    await outbox.enqueue(answer("c@exemple.fr"), ticket_id=ticket.id)
    await outbox.claim(10, timedelta(minutes=5))  # then the process dies
    clock.now += timedelta(days=6)
    sender = OutboxSender(
        outbox,
        MaildirTransport(tmp_path / "out"),
        clock=clock,
        backoff=Backoff(give_up_after=timedelta(days=5)),
    )
    assert await sender.run_once() == 0
    [row] = await rows(engine)
    assert row.status == OutboxStatus.FAILED and "given up" in (row.last_error or "")
    assert "mail.failed" in [e.kind for e in await tickets.events(ticket.id)]


async def _hand_over_then_die(
    outbox: Outbox, delivery: Delivery, journal: HandoverJournal | None = None
) -> None:
    """Claim and hand over the mail, but die before the commit that records it."""
    [mail] = await outbox.claim(1, timedelta(minutes=5))
    reply = await delivery.send(mail)
    if journal is not None:
        journal.record(mail.id, reply)


async def test_crash_between_handover_and_commit_is_not_sent_twice(
    engine: AsyncEngine, tmp_path: Any
) -> None:
    """After a crash between the hand-over and its commit, a transport that can tell
    (the Maildir) finds the mail and it is marked sent, not written again."""
    clock = Clock()
    outbox = Outbox(session_factory(engine), clock=clock)
    await outbox.enqueue(answer("c@exemple.fr"))
    transport = MaildirTransport(tmp_path / "out")
    async with transport.batch() as delivery:
        await _hand_over_then_die(outbox, delivery)
    clock.now += timedelta(minutes=6)  # the lease has run out: the mail comes back
    assert await OutboxSender(outbox, transport, clock=clock).run_once() == 1
    assert len(list(mailbox.Maildir(tmp_path / "out", create=False))) == 1
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT and row.attempts == 2


async def test_crash_after_the_relays_250_is_not_sent_twice(
    engine: AsyncEngine, tmp_path: Any
) -> None:
    """A relay's 250 noted in the hand-over journal before a crash marks the mail sent,
    with the relay's answer, instead of sending it again."""
    clock = Clock()
    outbox = Outbox(session_factory(engine), clock=clock)
    await outbox.enqueue(answer("c@exemple.fr"))
    journal = HandoverJournal(tmp_path)
    with running_relay() as relay:
        transport = smtp(relay.port)
        async with transport.batch() as delivery:
            await _hand_over_then_die(outbox, delivery, journal)
        clock.now += timedelta(minutes=6)
        sender = OutboxSender(outbox, transport, clock=clock, journal=journal)
        assert await sender.run_once() == 1
    assert len(relay.received) == 1
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT and "queued" in (row.relay_reply or "")
    assert journal.reply(row.id) is None  # emptied once the batch is committed


async def test_crash_without_journal_is_at_least_once(engine: AsyncEngine) -> None:
    """Without a note of the 250 (no journal, or a power cut) an SMTP relay cannot say what
    it already has: the mail goes again (at least once, as documented), never zero times."""
    clock = Clock()
    outbox = Outbox(session_factory(engine), clock=clock)
    await outbox.enqueue(answer("c@exemple.fr"))
    with running_relay() as relay:
        transport = smtp(relay.port)
        async with transport.batch() as delivery:
            await _hand_over_then_die(outbox, delivery)
        clock.now += timedelta(minutes=6)
        assert await OutboxSender(outbox, transport, clock=clock).run_once() == 1
    assert len(relay.received) == 2
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT


async def test_one_connection_carries_a_batch(engine: AsyncEngine) -> None:
    """A batch of answers goes over one relay connection, each recorded with the relay's
    reply; a relay error on one mail does not stop the others."""
    outbox = Outbox(session_factory(engine))
    for n in range(5):
        await outbox.enqueue(answer(f"c{n}@exemple.fr", n))
    connections = []

    class Counting(Relay):
        async def handle_EHLO(
            self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> list[str]:
            connections.append(hostname)
            session.host_name = hostname
            return responses

        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            if address == "c2@exemple.fr":
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    with running_relay(relay=Counting(free_port())) as relay:
        assert await OutboxSender(outbox, smtp(relay.port)).run_once() == 5
    assert len(connections) == 1
    assert sorted(r.rcpt_tos[0] for r in relay.received) == [
        "c0@exemple.fr",
        "c1@exemple.fr",
        "c3@exemple.fr",
        "c4@exemple.fr",
    ]
    statuses = [r.status for r in await rows(engine)]
    assert statuses == ["sent", "sent", "failed", "sent", "sent"]


def test_a_dead_process_journal_outlives_the_next_processs_batches(tmp_path: Any) -> None:
    """The 250s a killed process noted are still there after its successor finished
    batches of its own (each process empties only its own file)."""
    dead = tmp_path / "outbox-handover.999999999.journal"
    dead.write_text("7\t2.0.0 Ok: queued as ABC\n")
    journal = HandoverJournal(tmp_path)
    journal.record(8, "250 ok")
    journal.clear()
    assert journal.reply(7) == "2.0.0 Ok: queued as ABC"
    assert journal.reply(8) is None
