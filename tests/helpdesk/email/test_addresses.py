"""Sender addresses: raw UTF-8 headers (RFC 6532) read as UTF-8 and answered at the real
address; an address the strict grammar refuses gets no answer, and the ticket says why."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_string
from email.policy import default

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from helpdesk.db.models import Message, OutboxMail, TicketEvent
from helpdesk.email.parse import parse_mail
from helpdesk.keys import SESSIONS
from tests.conftest import free_port
from tests.helpdesk.email.conftest import SUPPORT, Desk, Relay

JEROME = "jérôme@exemple.fr"


@pytest.fixture
def relay() -> Iterator[Relay]:
    """The email conftest's relay, offering SMTPUTF8 as Postfix does (smtputf8_enable)."""
    port = free_port()
    handler = Relay(port)
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def utf8_mail(sender: str, *, message_id: str, subject: str = "Webmail") -> bytes:
    """A message with raw UTF-8 in its headers, as an SMTPUTF8 client sends it."""
    return (
        f"From: Jérôme Dupont <{sender}>\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Bonjour, comment accéder au webmail ?\r\n"
    ).encode()


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    """A From and Subject in raw UTF-8 come out as the very characters, never U+FFFD."""
    mail = parse_mail(utf8_mail(JEROME, message_id="<u@exemple.fr>", subject="Accès à l'été"))
    assert (mail.from_address, mail.from_name, mail.reply_to) == (
        JEROME,
        "Jérôme Dupont",
        JEROME,
    )
    assert mail.subject == "Accès à l'été"
    assert mail.address_problem is None


def test_latin1_header_text_is_still_read() -> None:
    """An 8-bit subject that is not UTF-8 is read as Windows-1252, as bodies are."""
    raw = "From: a@exemple.fr\r\nSubject: probl\xe8me d'acc\xe8s\r\n\r\nx".encode("latin-1")
    assert parse_mail(raw).subject == "problème d'accès"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (b"From", b"Joe <joe@exemple.fr"),  # no closing bracket
        (b"From", b"joe"),  # no domain
        (b"From", b"joe@"),  # the 3.11 parser raises IndexError on it
        (b"From", b"j\xe9r\xf4me@exemple.fr"),  # 8-bit local part that is not UTF-8
        (b"From", b"=?utf-8?q?J=0D=0ABcc:_x@evil.example?= <joe@exemple.fr>"),
        (b"Reply-To", b"<joe@exemple.fr"),
    ],
)
def test_strict_grammar_refuses_broken_senders(header: bytes, value: bytes) -> None:
    """A From or Reply-To with any defect leaves no address to answer, and says which."""
    raw = b"From: ok@exemple.fr\r\n" if header == b"Reply-To" else b""
    raw += header + b": " + value + b"\r\nTo: support@zindex.fr\r\n\r\nAide\r\n"
    mail = parse_mail(raw)
    assert mail.reply_to == ""
    assert mail.address_problem is not None
    assert mail.address_problem.header == header.decode().lower()


async def test_utf8_sender_is_answered_at_the_real_address(desk: Desk, relay: Relay) -> None:
    """Through the SMTP listener, jérôme@exemple.fr gets the answer at that very address
    (SMTPUTF8 at the relay), and the outbox row holds no U+FFFD anywhere."""
    raw = utf8_mail(JEROME, message_id="<utf8-sender@exemple.fr>")
    await aiosmtplib.send(
        raw,
        sender=JEROME,
        recipients=[SUPPORT],
        hostname="127.0.0.1",
        port=desk.smtp_port,
        start_tls=False,
        mail_options=["SMTPUTF8"],
        timeout=30,
    )
    (answer,) = await relay.wait_for(JEROME)
    assert answer.recipients == [JEROME]
    # RFC 6532: the headers are UTF-8 (the standard parser of bytes would not say so).
    to = message_from_string(answer.raw.decode("utf-8"), policy=default)["To"].addresses
    assert [a.addr_spec for a in to] == [JEROME]
    assert to[0].display_name == "Jérôme Dupont"
    async with desk.app[SESSIONS]() as session:
        (row,) = (await session.scalars(select(OutboxMail))).all()
    assert row.recipients == [JEROME]
    text = row.raw.decode("utf-8")  # RFC 6532: the headers are UTF-8, and only that
    for value in (text, row.mail_from, *row.recipients, row.last_error or ""):
        assert "\ufffd" not in value
    assert row.mail_from == SUPPORT


async def test_unparseable_sender_is_recorded_without_answer(desk: Desk) -> None:
    """A From the grammar refuses: the mail is on a ticket, no answer, and the event names
    the header and its value for staff."""
    raw = (
        b"From: Joe <joe@exemple.fr\r\nTo: support@zindex.fr\r\nSubject: Aide\r\n"
        b"Message-ID: <broken-from@exemple.fr>\r\n\r\nComment acceder au webmail ?\r\n"
    )
    handled = await desk.channel.responder.handle(raw)
    assert (handled.outcome, handled.reason) == ("recorded", "bad_address")
    async with desk.app[SESSIONS]() as session:
        assert not (await session.scalars(select(OutboxMail))).all()
        (event,) = (
            await session.scalars(
                select(TicketEvent).where(TicketEvent.kind == "email.not_answered")
            )
        ).all()
        (message,) = (await session.scalars(select(Message))).all()
    assert event.data == {"reason": "bad_address", "header": "from", "value": "Joe <joe@exemple.fr"}
    assert message.meta["address_problem"]["header"] == "from"
