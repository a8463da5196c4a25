"""Mail loops: bounces, auto-replies, lists and our own mail get no answer but land on a
ticket; two bots answering each other stop within the rate limit."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from helpdesk.config import load_settings
from helpdesk.db.models import Message, OutboxMail, Ticket, TicketEvent
from helpdesk.email import RateLimits
from helpdesk.email.loops import no_answer_reason
from helpdesk.email.parse import parse_mail
from helpdesk.keys import SESSIONS
from tests.dnsserver import DNSServer
from tests.helpdesk.email.conftest import SUPPORT, Captured, Desk, Relay, mail, start_desk


async def not_answered(desk: Desk, message_id: str) -> tuple[Ticket, list[str]]:
    """The ticket holding `message_id` and the reasons recorded for not answering."""
    await desk.idle()
    async with desk.app[SESSIONS]() as session:
        row = await session.scalar(
            select(Message).where(Message.meta["message_id"].as_string() == message_id)
        )
        assert row is not None, "the message must land on a ticket"
        ticket = await session.get(Ticket, row.ticket_id)
        assert ticket is not None
        events = (
            await session.scalars(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "email.not_answered"
                )
            )
        ).all()
        outbox = await session.scalar(
            select(func.count(OutboxMail.id)).where(OutboxMail.ticket_id == ticket.id)
        )
    return ticket, [e.data["reason"] for e in events] + ["outbox"] * int(outbox or 0)


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "client@exemple.fr", "auto_submitted"),
        ({"Auto-Submitted": "auto-generated; type=ooo"}, "client@exemple.fr", "auto_submitted"),
        ({"X-Autoreply": "yes"}, "client@exemple.fr", "auto_reply"),
        ({"Precedence": "bulk"}, "client@exemple.fr", "bulk"),
        ({"List-Id": "<news.exemple.fr>"}, "client@exemple.fr", "mailing_list"),
        ({"X-Auto-Response-Suppress": "OOF, AutoReply"}, "client@exemple.fr", "suppressed"),
        ({}, SUPPORT, "own_mail"),
        ({}, "noreply@exemple.fr", "no_reply_address"),
    ],
)
async def test_automatic_mail_gets_no_answer(
    desk: Desk, relay: Relay, headers: dict[str, str], sender: str, reason: str
) -> None:
    """Auto-replies, bulk, lists, our own mail: recorded on a ticket, never answered."""
    msg = mail(
        "Je suis absent jusqu'au 12, comment configurer Outlook ?", sender=sender, headers=headers
    )
    await desk.send(msg, mail_from=sender)
    ticket, reasons = await not_answered(desk, str(msg["Message-ID"]))
    assert reasons == [reason]
    assert ticket.customer_email == sender


async def test_null_sender_gets_no_answer(desk: Desk) -> None:
    """A message with the null envelope sender (RFC 3834 §2) is never answered."""
    msg = mail("Comment configurer Outlook ?")
    await desk.send(msg, mail_from="")
    _, reasons = await not_answered(desk, str(msg["Message-ID"]))
    assert reasons == ["null_sender"]


def bounce_of(answer: Captured) -> bytes:
    """The DSN a receiving server sends back for one of our answers."""
    original = answer.raw.split(b"\r\n\r\n", 1)[0]
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.exemple.fr>\r\n"
        b"To: support@zindex.fr\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-1@mx.exemple.fr>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\n"
        b"<client@exemple.fr>: user unknown\r\n\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.exemple.fr\r\n\r\n"
        b"Final-Recipient: rfc822; client@exemple.fr\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" + original + b"\r\n\r\n--B--\r\n"
    )


async def test_bounce_of_our_answer_goes_to_its_ticket(desk: Desk, relay: Relay) -> None:
    """A bounce of our own answer is not answered; it lands on the answer's ticket."""
    await desk.send(mail("Comment accéder au webmail ?", subject="Webmail"))
    (answer,) = await relay.wait_for("client@exemple.fr")
    await desk.send(bounce_of(answer), mail_from="")
    ticket, reasons = await not_answered(desk, "<dsn-1@mx.exemple.fr>")
    assert reasons == ["null_sender", "outbox"]  # the one outbox row is the first answer
    assert ticket.reference in str(answer.message["Subject"])
    assert ticket.status == "waiting_staff"
    async with desk.app[SESSIONS]() as session:
        kinds = (
            await session.scalars(
                select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
            )
        ).all()
    assert "email.answer_bounced" in kinds


class PingPongBot:
    """Another auto-responder with no RFC 3834 manners: it answers whatever it gets."""

    def __init__(self, desk: Desk, relay: Relay, address: str) -> None:
        self.desk, self.relay, self.address = desk, relay, address
        self.sent = 0

    async def play(self, quiet: float = 2.0) -> None:
        seen = 0
        idle_since = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - idle_since < quiet:
            answers = self.relay.to(self.address)
            if len(answers) > seen:
                for answer in answers[seen:]:
                    await self._reply(answer)
                seen = len(answers)
                idle_since = asyncio.get_running_loop().time()
            await asyncio.sleep(0.05)

    async def _reply(self, answer: Captured) -> None:
        got = answer.message
        msg = EmailMessage()
        msg["From"] = self.address
        msg["To"] = SUPPORT
        msg["Subject"] = "Re: " + str(got["Subject"])
        msg["Message-ID"] = f"<bot-{self.sent}@robot.example>"
        msg["In-Reply-To"] = str(got["Message-ID"])
        msg.set_content("Thank you for your message. How do I set up Outlook in IMAP?")
        self.sent += 1
        await self.desk.send(msg, mail_from=self.address)


async def test_two_bots_stop_within_the_rate_limit(desk: Desk, relay: Relay) -> None:
    """A bot that answers every answer gets at most the per-ticket limit of answers."""
    bot = PingPongBot(desk, relay, "robot@robot.example")
    await desk.send(
        mail("How do I set up Outlook in IMAP?", sender="robot@robot.example"),
        mail_from="robot@robot.example",
    )
    await asyncio.wait_for(bot.play(), 60)
    limit = RateLimits().per_ticket
    assert len(relay.to("robot@robot.example")) == limit
    async with desk.app[SESSIONS]() as session:
        reasons = (
            await session.scalars(
                select(TicketEvent.data).where(TicketEvent.kind == "email.not_answered")
            )
        ).all()
        tickets = await session.scalar(select(func.count(Ticket.id)))
    assert [r["reason"] for r in reasons] == ["rate_limited_ticket"]
    assert tickets == 1


async def test_sender_limit_spans_tickets(desk: Desk, relay: Relay) -> None:
    """New threads from one sender stop being answered past the per-sender limit."""
    limit = RateLimits().per_sender
    for n in range(limit + 2):
        await desk.send(
            mail(f"Question {n}: how do I log in to webmail?", sender="many@exemple.fr"),
            mail_from="many@exemple.fr",
        )
    await desk.idle()
    await relay.wait_for("many@exemple.fr", limit)
    await asyncio.sleep(0.5)
    assert len(relay.to("many@exemple.fr")) == limit


async def test_limits_come_from_the_settings(
    email_env: dict[str, str], understanding: Any, dns_server: DNSServer, relay: Relay
) -> None:
    """HELPDESK_AUTO_ANSWERS_PER_SENDER sets the per-sender limit (and so for per ticket)."""
    settings = load_settings({**email_env, "HELPDESK_AUTO_ANSWERS_PER_SENDER": "2"})
    assert (settings.auto_answers_per_sender, settings.auto_answers_per_ticket) == (2, 5)
    desk, runner = await start_desk(settings, understanding, dns_server)
    try:
        for n in range(4):
            await desk.send(
                mail(f"Question {n}: how do I log in to webmail?", sender="few@exemple.fr"),
                mail_from="few@exemple.fr",
            )
        await desk.idle()
        await relay.wait_for("few@exemple.fr", 2)
        await asyncio.sleep(0.5)
        assert len(relay.to("few@exemple.fr")) == 2
    finally:
        await runner.cleanup()


def test_rules_on_parsed_headers() -> None:
    """The loop rules read the headers of a parsed message; a person's mail passes."""

    def reason(raw: bytes) -> Any:
        return no_answer_reason(
            parse_mail(raw), support_address=SUPPORT, is_ours=lambda mid: mid == "<ours@x>"
        )

    person = (
        b"From: a@exemple.fr\r\nTo: support@zindex.fr\r\nSubject: aide\r\n"
        b"Message-ID: <p@x>\r\n\r\nbonjour\r\n"
    )
    assert reason(person) is None
    assert reason(b"Return-Path: <>\r\n" + person) == "null_sender"
    assert reason(b"Auto-Submitted: no\r\n" + person) is None
    assert reason(b"X-Failed-Recipients: b@c.d\r\n" + person) == "bounce"
    assert reason(b"From: MAILER-DAEMON@mx.example\r\nSubject: x\r\n\r\nx") == "bounce"
    assert reason(b"List-Unsubscribe: <mailto:u@l>\r\n" + person) == "mailing_list"
    assert reason(b"Precedence: junk\r\n" + person) == "bulk"
    own = b"From: b@exemple.fr\r\nMessage-ID: <ours@x>\r\n\r\nx"
    assert reason(own) == "own_mail"
    assert reason(b"Subject: no sender at all\r\n\r\nx") == "no_sender"
    ctype = (
        b'Content-Type: multipart/report; report-type="disposition-notification"; boundary=x\r\n'
    )
    assert reason(ctype + person) == "receipt"
