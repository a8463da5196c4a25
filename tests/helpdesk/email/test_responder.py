"""The responder on its own: a message handled twice is answered once; a reused id is not
mistaken for a duplicate; a bug in answering leaves the message with staff."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from helpdesk.db.models import Message, OutboxMail, Ticket, TicketEvent
from helpdesk.email.conversation import MailConversation
from helpdesk.keys import SESSIONS
from tests.helpdesk.email.conftest import Desk, mail


async def count(desk: Desk, model: type) -> int:
    async with desk.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count(model.id))) or 0)


async def test_same_message_twice_is_answered_once(desk: Desk) -> None:
    """Handling the same bytes again (restart, refetch) records and answers nothing new."""
    responder = desk.channel.responder
    raw = mail("Comment accéder au webmail ?").as_bytes()
    first = await responder.handle(raw)
    again = await responder.handle(raw)
    assert first.outcome == "answered" and again.outcome == "duplicate"
    assert again.reference == first.reference
    assert await count(desk, OutboxMail) == 1
    assert await count(desk, Message) == 2


async def test_unanswered_message_twice_is_recorded_once(desk: Desk) -> None:
    """An auto-reply handled twice lands on its ticket once."""
    responder = desk.channel.responder
    raw = mail("Absent", headers={"Auto-Submitted": "auto-replied"}).as_bytes()
    assert (await responder.handle(raw)).outcome == "recorded"
    assert (await responder.handle(raw)).outcome == "duplicate"
    assert await count(desk, Message) == 1


async def test_reused_message_id_is_another_message(desk: Desk) -> None:
    """A device that reuses one Message-ID for everything still gets every mail answered."""
    responder = desk.channel.responder
    a = mail("Comment accéder au webmail ?", subject="Scan 1", message_id="<same@scanner>")
    b = mail("Comment configurer Outlook en IMAP ?", subject="Scan 2", message_id="<same@scanner>")
    assert (await responder.handle(a.as_bytes())).outcome == "answered"
    assert (await responder.handle(b.as_bytes())).outcome == "answered"
    assert await count(desk, OutboxMail) == 2


async def test_a_bug_while_answering_leaves_it_to_staff(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception in the engine does not lose the message: staff get it unanswered."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(MailConversation, "answer", broken)
    handled = await desk.channel.responder.handle(mail("Comment configurer Outlook ?").as_bytes())
    assert (handled.outcome, handled.reason) == ("recorded", "error")
    async with desk.app[SESSIONS]() as session:
        ticket = await session.scalar(select(Ticket))
        kinds = (await session.scalars(select(TicketEvent.kind))).all()
    assert ticket is not None and ticket.status == "waiting_staff"
    assert "email.not_answered" in kinds
    assert await count(desk, OutboxMail) == 0


async def test_password_in_a_mail_is_neither_logged_nor_stored(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """Even at DEBUG, a password a customer writes is in no log line, is not stored and
    is not echoed back in the answer's subject."""
    caplog.set_level(logging.DEBUG)
    question = mail(
        "Bonjour, mon mot de passe est Zq8-secret-77 et je n'arrive pas à me connecter",
        subject="mdp: Zq8-secret-77",
    )
    await desk.send(question)
    await desk.idle()
    assert "Zq8-secret-77" not in caplog.text
    async with desk.app[SESSIONS]() as session:
        stored = (await session.execute(select(Message.body, Message.meta))).all()
        subjects = (await session.scalars(select(Ticket.subject))).all()
        raws = (await session.scalars(select(OutboxMail.raw))).all()
    assert stored and all("Zq8-secret-77" not in f"{b} {m}" for b, m in stored)
    assert all("Zq8-secret-77" not in (s or "") for s in subjects)
    assert raws and all(b"Zq8-secret-77" not in r for r in raws)
