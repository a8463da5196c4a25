"""Customers write to support over SMTP (swaks and aiosmtplib) and get the right answer by
mail, captured by a real SMTP server standing as the relay, threaded into one ticket."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.db.models import Message, OutboxMail, Ticket, TicketEvent
from helpdesk.keys import MAILBOXES, SESSIONS
from helpdesk.mailbox.service import NewMailbox
from tests.helpdesk.email.conftest import (
    SUPPORT,
    Desk,
    Relay,
    data_file,
    mail,
    need_tool,
    reply_to,
)

REFERENCE = re.compile(r"\[(HD-[0-9A-Z]{8})\]")


async def swaks(port: int, *args: str) -> str:
    """Run swaks against the listener; returns its transcript (it exits 0 on a 250)."""
    tool = need_tool("swaks", "swaks")
    proc = await asyncio.create_subprocess_exec(
        tool,
        "--server",
        "127.0.0.1",
        "--port",
        str(port),
        "--helo",
        "client.exemple.fr",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    return text


async def ticket_of(desk: Desk, reference: str) -> Ticket:
    async with desk.app[SESSIONS]() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None
        return ticket


async def messages_of(desk: Desk, reference: str) -> list[Message]:
    ticket = await ticket_of(desk, reference)
    async with desk.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
        )
        return list(rows)


def reference_in(subject: str) -> str:
    match = REFERENCE.search(subject)
    assert match, subject
    return match.group(1)


async def test_forwarded_bounce_by_swaks_is_explained(desk: Desk, relay: Relay) -> None:
    """A bounce forwarded as a message/rfc822 attachment is diagnosed in the customer's language."""
    path = data_file("forwarded-attached-mailboxfull.eml")
    out = await swaks(
        desk.smtp_port,
        "--from",
        "compta@menuiserie-roux.fr",
        "--to",
        SUPPORT,
        "--data",
        f"@{path}",
    )
    assert "250 2.0.0" in out
    (answer,) = await relay.wait_for("compta@menuiserie-roux.fr")
    text = answer.text()
    assert "achats@fournisseur-bois.fr" in text
    assert "4.2.2" in text
    assert "Bonjour" in text  # French, like the customer
    msg = answer.message
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert answer.mail_from == SUPPORT
    reference = reference_in(str(msg["Subject"]))
    rows = await messages_of(desk, reference)
    assert [m.author for m in rows] == ["customer", "bot"]
    checks = rows[1].payload["checks"]
    assert checks[0]["name"] == "bounce"
    assert checks[0]["result"]["recipients"][0]["reason"] == "mailboxfull"


async def test_pasted_code_in_english(desk: Desk, relay: Relay) -> None:
    """A pasted 452 4.2.2 line is explained in English, threaded to the customer's message."""
    question = mail(
        "Hello,\n\nI tried to write to my supplier and got this back:\n\n"
        "452 4.2.2 Mailbox full\n\nWhat should I do?\n\nThanks,\nJohn",
        subject="Error when sending",
        sender="John Smith <john@shop.example>",
    )
    await desk.send(question, mail_from="john@shop.example")
    (answer,) = await relay.wait_for("john@shop.example")
    text = answer.text()
    assert "4.2.2" in text
    assert "Hello John Smith" in text
    msg = answer.message
    assert msg["In-Reply-To"] == question["Message-ID"]
    assert question["Message-ID"] in str(msg["References"])
    assert str(msg["Subject"]).startswith("Re: Error when sending [HD-")
    assert msg.get_body(("html",)) is not None


async def test_forwarded_eml_in_english(desk: Desk, relay: Relay) -> None:
    """A bounce attached as an .eml file by an English-speaking customer, sent with
    aiosmtplib, is explained in English."""
    question = mail(
        "Hi, my message to Marc came back, see the attached file. What does it mean?",
        subject="Fwd: my mail bounced",
        sender="Paul <paul@shop.example>",
    )
    question.add_attachment(
        data_file("laposte-toobig.eml").read_bytes(),
        maintype="application",
        subtype="octet-stream",
        filename="bounce.eml",
    )
    await desk.send(question, mail_from="paul@shop.example")
    (answer,) = await relay.wait_for("paul@shop.example")
    text = answer.text()
    assert "marc.girard@laposte.net" in text and "5.3.4" in text
    assert "20 MB" in text  # the provider's limit, from the profile
    assert answer.message["Content-Language"] == "en"


async def test_pasted_code_in_french_by_swaks(desk: Desk, relay: Relay) -> None:
    """A pasted 452 4.2.2 sent with swaks is explained in French."""
    await swaks(
        desk.smtp_port,
        "--from",
        "marie@exemple.fr",
        "--to",
        SUPPORT,
        "--header",
        "Subject: Erreur d'envoi",
        "--body",
        "Bonjour,\nmon message revient avec : 452 4.2.2 Mailbox full\nQue dois-je faire ?",
    )
    (answer,) = await relay.wait_for("marie@exemple.fr")
    assert "4.2.2" in answer.text()
    assert "destinataire" in answer.text()
    assert answer.message["Content-Language"] == "fr"


@pytest.mark.parametrize(
    ("lang", "sender", "body", "facts"),
    [
        (
            "fr",
            "gerant@exemple.fr",
            "Bonjour, pouvez-vous vérifier le SPF de mon domaine exemple.fr ? Merci",
            ["v=spf1 a:mail.zindex.fr", "p=quarantine"],
        ),
        (
            "en",
            "owner@broken-shop.com",
            "Hi, could you check the spf record of broken-shop.com please?",
            ["+all"],
        ),
    ],
)
async def test_spf_question_checks_the_domain(
    desk: Desk, relay: Relay, lang: str, sender: str, body: str, facts: list[str]
) -> None:
    """An SPF question is answered with the records the test DNS server holds."""
    await desk.send(mail(body, subject="SPF", sender=sender), mail_from=sender)
    (answer,) = await relay.wait_for(sender)
    text = answer.text()
    for fact in facts:
        assert fact in text
    assert answer.message["Content-Language"] == lang


@pytest.mark.parametrize(
    ("body", "facts"),
    [
        (
            "Bonjour,\nComment configurer Thunderbird en IMAP ?\nMerci",
            ["993", "465", "Thunderbird"],
        ),
        ("Hello, what are the POP settings for my iPhone?", ["995", "465", "iPhone"]),
    ],
)
async def test_settings_question(desk: Desk, relay: Relay, body: str, facts: list[str]) -> None:
    """A settings question gets the provider's servers and ports."""
    await desk.send(mail(body, subject="Configuration"))
    (answer,) = await relay.wait_for("client@exemple.fr")
    for fact in facts:
        assert fact in answer.text()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("Bonjour, j'ai oublié le mot de passe de ma boîte contact@exemple.fr", ["secours"]),
        ("Hello, I forgot the password of my mailbox contact@exemple.fr", ["recovery address"]),
    ],
)
async def test_password_reset_goes_to_the_recovery_address(
    desk: Desk, relay: Relay, body: str, words: list[str]
) -> None:
    """A reset asked by email sends the link to the recovery address, never to the sender."""
    await desk.app[MAILBOXES].create(
        NewMailbox(
            address="contact@exemple.fr",
            password="Ancien-mot-2-passe",
            recovery_address="secours@perso.example",
            server="mail.zindex.fr",
        )
    )
    await desk.send(mail(body, subject="Mot de passe", sender="someone@elsewhere.example"),
                    mail_from="someone@elsewhere.example")  # fmt: skip
    (answer,) = await relay.wait_for("someone@elsewhere.example")
    text = answer.text()
    for word in words:
        assert word in text
    (link,) = await relay.wait_for("secours@perso.example")
    assert "/reset/" in link.text()
    assert "/reset/" not in text
    assert all(
        "/reset/" not in m.raw.decode(errors="replace")
        for m in relay.to("someone@elsewhere.example")
    )


async def test_reply_continues_the_conversation(desk: Desk, relay: Relay) -> None:
    """The bot asks IMAP or POP; the customer's reply is answered on the same ticket."""
    first = mail("Bonjour, je voudrais configurer ma boîte mail sur Outlook.", subject="Outlook")
    await desk.send(first)
    (question,) = await relay.wait_for("client@exemple.fr")
    assert "IMAP" in question.text() and "POP" in question.text()
    reference = reference_in(str(question.message["Subject"]))

    reply = reply_to(
        question, "IMAP\n\nLe lun. 3 nov. 2025, Support a écrit :\n> Voulez-vous IMAP ou POP ?"
    )
    await desk.send(reply)
    answers = await relay.wait_for("client@exemple.fr", 2)
    second = answers[1]
    assert "993" in second.text() and "Outlook" in second.text()
    assert reference_in(str(second.message["Subject"])) == reference
    assert second.message["In-Reply-To"] == reply["Message-ID"]
    assert question.message["Message-ID"] in str(second.message["References"])
    rows = await messages_of(desk, reference)
    assert [m.author for m in rows] == ["customer", "bot", "customer", "bot"]
    assert rows[2].body == "IMAP"  # quoted history cut off
    async with desk.app[SESSIONS]() as session:
        sent = (await session.scalars(select(OutboxMail))).all()
        assert {m.status for m in sent} == {"sent"}
        assert all(m.message_id is not None for m in sent)
        kinds = (await session.scalars(select(TicketEvent.kind))).all()
        assert kinds.count("email.answered") == 2


async def test_subject_token_threads_only_the_customer(desk: Desk, relay: Relay) -> None:
    """A ticket token in the subject threads the ticket's customer, not a stranger."""
    await desk.send(mail("Comment accéder au webmail ?", subject="Webmail"))
    (answer,) = await relay.wait_for("client@exemple.fr")
    reference = reference_in(str(answer.message["Subject"]))
    await desk.send(mail("Et pour configurer mon iPhone en IMAP ?", subject=f"Suite [{reference}]"))
    await desk.send(
        mail("Comment configurer mon iPhone en IMAP ?", subject=f"[{reference}]",
             sender="intrus@ailleurs.example"),
        mail_from="intrus@ailleurs.example",
    )  # fmt: skip
    await relay.wait_for("client@exemple.fr", 2)
    (stranger,) = await relay.wait_for("intrus@ailleurs.example")
    assert reference_in(str(stranger.message["Subject"])) != reference
    rows = await messages_of(desk, reference)
    assert [m.author for m in rows] == ["customer", "bot", "customer", "bot"]


async def test_two_questions_in_one_mail(desk: Desk, relay: Relay) -> None:
    """One email answers every question it recognised."""
    body = (
        "Bonjour,\n\nComment accéder au webmail depuis un autre ordinateur ?\n\n"
        "Et comment mettre en place un message d'absence pendant mes congés ?\n\nMerci"
    )
    await desk.send(mail(body, subject="Deux questions"))
    (answer,) = await relay.wait_for("client@exemple.fr")
    text = answer.text()
    assert "https://webmail.zindex.fr" in text
    assert "8443" in text


async def test_person_asked_for_waits_for_staff(desk: Desk, relay: Relay) -> None:
    """Asking for a person hands the ticket to staff, and the customer is told by mail."""
    await desk.send(mail("Je voudrais parler à un conseiller, s'il vous plaît.", subject="Aide"))
    (answer,) = await relay.wait_for("client@exemple.fr")
    reference = reference_in(str(answer.message["Subject"]))
    assert "conseiller" in answer.text() and "e-mail" in answer.text()
    ticket = await ticket_of(desk, reference)
    assert ticket.status == "waiting_staff"
    # Staff own it now: a follow-up lands on the ticket but the bot stays silent.
    await desk.send(reply_to(answer, "Merci, j'attends votre appel."))
    await desk.idle()
    await asyncio.sleep(0.3)
    assert len(relay.to("client@exemple.fr")) == 1
    rows = await messages_of(desk, reference)
    assert [m.author for m in rows] == ["customer", "bot", "customer"]


def test_fixture_data_exists() -> None:
    """The bounce samples the tests forward are where the suite keeps them."""
    assert Path(data_file("forwarded-attached-mailboxfull.eml")).exists()
