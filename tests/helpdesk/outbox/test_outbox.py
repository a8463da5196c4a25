"""The outbox against a real SMTP relay: delivery, retries with back-off, restarts, Maildir."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.config import Relay as RelayConfig
from helpdesk.config import Settings, load_settings
from helpdesk.db import session_factory
from helpdesk.db.models import OutboxMail, OutboxStatus
from helpdesk.desk.tickets import TicketStore
from helpdesk.outbox import Backoff, MaildirTransport, Outbox, OutboxSender, SmtpRelay
from helpdesk.outbox.setup import transport_for
from helpdesk.outbox.store import SENSITIVE_MARK
from tests.conftest import free_port
from tests.helpdesk.outbox.relay import Login, running_relay


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(migrated_engine: AsyncEngine) -> AsyncEngine:
    return migrated_engine


def mail(to: str = "client@exemple.fr", body: str = "Bonjour") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Z-Index support <support@zindex.fr>"
    msg["To"] = to
    msg["Subject"] = "Test é"
    msg.set_content(body)
    return msg


def smtp(port: int) -> SmtpRelay:
    return SmtpRelay(RelayConfig("smtp", "127.0.0.1", port), timeout=5)


async def rows(engine: AsyncEngine) -> list[OutboxMail]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


async def test_mail_goes_to_the_relay(engine: AsyncEngine) -> None:
    """An enqueued mail reaches the relay once, is marked sent, and its ticket says so."""
    sessions = session_factory(engine)
    ticket = await TicketStore(sessions).create("chat")
    outbox = Outbox(sessions)
    await outbox.enqueue(mail(), ticket_id=ticket.id)
    with running_relay() as relay:
        sender = OutboxSender(outbox, smtp(relay.port))
        assert await sender.run_once() == 1
        assert await sender.run_once() == 0
    [got] = relay.received
    assert got.mail_from == "support@zindex.fr" and got.rcpt_tos == ["client@exemple.fr"]
    assert got.message["Subject"] == "Test é"
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1
    events = [e.kind for e in await TicketStore(sessions).events(ticket.id)]
    assert "mail.sent" in events


async def test_relay_down_delays_without_losing(engine: AsyncEngine) -> None:
    """With the relay down the mail waits with back-off; after a restart it is sent once."""
    sessions = session_factory(engine)
    ticket = await TicketStore(sessions).create("chat")
    clock = Clock()
    port = free_port()  # nothing listens there yet
    backoff = Backoff(first=timedelta(seconds=30))
    outbox = Outbox(sessions, clock=clock)
    await outbox.enqueue(mail(), ticket_id=ticket.id)
    sender = OutboxSender(outbox, smtp(port), backoff=backoff, clock=clock)
    assert await sender.run_once() == 1
    [row] = await rows(engine)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and row.last_error
    first_delay = row.next_attempt_at.replace(tzinfo=UTC) - clock.now
    assert timedelta(seconds=27) <= first_delay <= timedelta(seconds=33)
    assert await sender.run_once() == 0  # not due yet: no hammering of a dead relay
    clock.now += timedelta(seconds=40)
    assert await sender.run_once() == 1  # second failure: the delay doubles
    [row] = await rows(engine)
    assert row.attempts == 2
    assert row.next_attempt_at.replace(tzinfo=UTC) - clock.now >= timedelta(seconds=54)

    # "Restart": new objects over the same database, and the relay is back.
    clock.now += timedelta(minutes=2)
    outbox2 = Outbox(session_factory(engine), clock=clock)
    with running_relay(port) as relay:
        sender2 = OutboxSender(outbox2, smtp(port), backoff=backoff, clock=clock)
        assert await sender2.run_once() == 1
    assert len(relay.received) == 1
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT and row.attempts == 3
    kinds = [e.kind for e in await TicketStore(sessions).events(ticket.id)]
    assert kinds.count("mail.deferred") == 2 and kinds.count("mail.sent") == 1


async def test_crash_mid_send_is_retried_after_the_lease(engine: AsyncEngine) -> None:
    """A mail claimed by a process that died is claimed again once its lease ends."""
    clock = Clock()
    outbox = Outbox(session_factory(engine), clock=clock)
    await outbox.enqueue(mail())
    assert len(await outbox.claim(10, timedelta(minutes=5))) == 1  # then the process "dies"
    assert await outbox.claim(10, timedelta(minutes=5)) == []
    clock.now += timedelta(minutes=6)
    with running_relay() as relay:
        assert await OutboxSender(outbox, smtp(relay.port), clock=clock).run_once() == 1
    assert len(relay.received) == 1


async def test_permanent_refusal_fails_the_mail(engine: AsyncEngine) -> None:
    """A 5xx from the relay marks the mail failed (kept, not deleted) and says why."""
    sessions = session_factory(engine)
    ticket = await TicketStore(sessions).create("email")
    outbox = Outbox(sessions)
    await outbox.enqueue(mail(), ticket_id=ticket.id)
    with running_relay() as relay:
        relay.reply = "554 5.7.1 Rejected for policy reasons"
        await OutboxSender(outbox, smtp(relay.port)).run_once()
    [row] = await rows(engine)
    assert row.status == OutboxStatus.FAILED and "554" in (row.last_error or "")
    assert "mail.failed" in [e.kind for e in await TicketStore(sessions).events(ticket.id)]


async def test_temporary_refusal_is_retried(engine: AsyncEngine) -> None:
    """A 4xx from the relay is retried later."""
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(mail())
    with running_relay() as relay:
        relay.reply = "451 4.3.0 Try again later"
        await OutboxSender(outbox, smtp(relay.port)).run_once()
    [row] = await rows(engine)
    assert row.status == OutboxStatus.PENDING and "451" in (row.last_error or "")


async def test_sensitive_body_is_blanked_after_delivery(engine: AsyncEngine) -> None:
    """A mail holding a one-time link is sent whole, then its stored body is removed."""
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(mail(body="https://x/reset/SECRET-TOKEN"), sensitive=True)
    [row] = await rows(engine)
    assert row.raw.startswith(SENSITIVE_MARK)
    with running_relay() as relay:
        await OutboxSender(outbox, smtp(relay.port)).run_once()
    [got] = relay.received
    assert b"SECRET-TOKEN" in got.data and b"X-Helpdesk-Sensitive" not in got.data
    [row] = await rows(engine)
    assert b"SECRET-TOKEN" not in row.raw and b"Subject:" in row.raw


async def test_sender_loop_sends_on_enqueue(engine: AsyncEngine) -> None:
    """The running sender wakes up when a mail is enqueued, without waiting for its poll."""
    outbox = Outbox(session_factory(engine))
    with running_relay() as relay:
        task = asyncio.create_task(OutboxSender(outbox, smtp(relay.port), poll=60).run())
        try:
            await asyncio.sleep(0.2)
            await outbox.enqueue(mail("a@exemple.fr"))
            await outbox.enqueue(mail("b@exemple.fr"))
            got = await relay.wait_for(2, within=10)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert sorted(r.rcpt_tos[0] for r in got) == ["a@exemple.fr", "b@exemple.fr"]


def test_enqueue_needs_a_recipient() -> None:
    """A message without recipients is refused before it is stored."""
    msg = mail()
    del msg["To"]
    with pytest.raises(ValueError, match="no recipient"):
        asyncio.run(Outbox(None).enqueue(msg))  # type: ignore[arg-type]


async def test_without_relay_mail_lands_in_a_maildir(
    settings: Settings, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """No relay configured: mail is written to a Maildir under the data dir, and the log says where."""
    caplog.set_level(logging.INFO, logger="helpdesk.outbox")
    transport = transport_for(settings)
    assert isinstance(transport, MaildirTransport)
    assert str(settings.data_dir.resolve()) in caplog.text
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(mail(body="Bonjour Maildir"))
    assert await OutboxSender(outbox, transport).run_once() == 1
    [stored] = list(mailbox.Maildir(transport.path, create=False))
    assert "Bonjour Maildir" in stored.get_payload(decode=True).decode()
    assert stored["X-Envelope-To"] == "client@exemple.fr"


def test_relay_setting_picks_smtp(env: dict[str, str]) -> None:
    """HELPDESK_SMTP_RELAY set: mail goes to that relay."""
    settings = load_settings({**env, "HELPDESK_SMTP_RELAY": "smtp://127.0.0.1:2526"})
    assert isinstance(transport_for(settings), SmtpRelay)


async def test_relay_authentication(engine: AsyncEngine) -> None:
    """The relay's user name and password from the URL are used to log in; a wrong one waits."""
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(mail())
    login = Login("bot@zindex.fr", "relay-secret")
    with running_relay(login=login) as relay:
        wrong = SmtpRelay(RelayConfig("smtp", "127.0.0.1", relay.port, "bot@zindex.fr", "nope"))
        await OutboxSender(outbox, wrong).run_once()
        [row] = await rows(engine)
        assert row.status == OutboxStatus.PENDING and "535" in (row.last_error or "")
        assert relay.received == []
        async with session_factory(engine)() as session:
            stored = await session.get(OutboxMail, row.id)
            assert stored is not None
            stored.next_attempt_at = datetime.now(UTC)
            await session.commit()
        right = SmtpRelay(
            RelayConfig("smtp", "127.0.0.1", relay.port, "bot@zindex.fr", "relay-secret")
        )
        assert await OutboxSender(outbox, right).run_once() == 1
    assert len(relay.received) == 1 and login.seen[-1] == b"bot@zindex.fr"
