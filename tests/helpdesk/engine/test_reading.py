"""Reading a message: the customer's own words, what they pasted, their questions."""

from __future__ import annotations

import pytest

from helpdesk.engine import DialogueState, Engine, Turn
from helpdesk.engine.reading import (
    asks_for_settings,
    asks_staff_action,
    direction,
    read,
    servers_named,
    tells_of_a_hacked_mailbox,
)
from helpdesk.understanding.pasted import is_pasted
from tests.helpdesk.engine.conftest import REFERENCE

BOUNCE = (
    "<paul@example.org>: host mx.example.org[192.0.2.1] said: 552 5.2.2\n"
    "    Mailbox full, quota exceeded (in reply to RCPT TO command)"
)


def test_a_pasted_report_is_set_aside_with_its_folded_lines() -> None:
    """The report's lines, the indented one that continues it included, are not the
    customer's words; their question is."""
    reading = read(f"Bonjour, mon mail revient :\n\n{BOUNCE}\n\nQue dois-je faire ?")
    assert "Mailbox full" not in reading.prose and "Mailbox full" in reading.machine
    assert reading.segments == ("Bonjour, mon mail revient :", "Que dois-je faire ?")


def test_a_report_forwarded_below_the_signature_is_still_evidence() -> None:
    """Below a sign-off the customer's lines are a signature, but a report is kept."""
    reading = read(f"What does this mean?\n\nThanks,\nJulien\nMasson SARL\n\n{BOUNCE}")
    assert reading.prose == "What does this mean?"
    assert "552 5.2.2" in reading.machine


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour,\n\nMerci, et pour le téléphone c'est pareil ?\n\nKarine",
        "Hi,\n\nThanks. What about my phone?\n\nMarc",
    ],
)
def test_thanks_that_ask_a_question_are_no_sign_off(text: str) -> None:
    """A line opening with thanks that asks something is the message, not its end."""
    assert "?" in read(text).prose


def test_a_forward_opened_in_apple_mail_words_is_the_forwards() -> None:
    reading = read("C'est quoi ?\n\nDébut du message réexpédié :\n\nDe: MAILER-DAEMON")
    assert reading.prose == "C'est quoi ?"


@pytest.mark.parametrize(
    ("line", "pasted"),
    [
        ("> Le support a écrit : bonjour", True),
        ("Status: 5.1.1", True),
        ("Objet : Undelivered Mail Returned to Sender", True),
        ("550 5.1.1 <a@example.org>: User unknown", True),
        ("550 Requested action not taken: mailbox unavailable", True),
        ("Note: I tried twice", False),
        ("587 won't work then?", False),
        ("what does user unknown mean?", False),
        ("    continued text", False),  # indented, but nothing pasted before it
    ],
)
def test_what_counts_as_pasted(line: str, pasted: bool) -> None:
    assert is_pasted(line) is pasted


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        (
            "Hello, which port is IMAP on, and what's the address of your webmail?",
            ("Hello, which port is IMAP on", "what's the address of your webmail?"),
        ),
        (
            "Quel est le port SMTP et comment je mets un répondeur ?",
            ("Quel est le port SMTP", "comment je mets un répondeur ?"),
        ),
        ("Ma boîte est pleine. Que faire ?", ("Ma boîte est pleine.", "Que faire ?")),
        (
            "How do I back up my mailbox, and separately how do I get a copy of what I send?",
            ("How do I back up my mailbox", "how do I get a copy of what I send?"),
        ),
    ],
)
def test_questions_are_cut_where_a_second_one_starts(text: str, segments: tuple[str, ...]) -> None:
    assert read(text).segments == segments


def test_direction_and_settings_questions() -> None:
    assert direction("et pour l'envoi ?") == "send"
    assert direction("what's the incoming server?") == "receive"
    assert direction("settings for sending and receiving") is None
    assert direction("Outlook n'envoie plus rien, la réception fonctionne") == "send"
    assert direction("I can send fine but receiving doesn't work") == "receive"
    assert asks_for_settings("which port is IMAP on?")
    assert not asks_for_settings("IMAP or POP, which is better?")


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Pouvez-vous réactiver l'envoi dès maintenant ?", True),
        ("I changed the password, can you unblock my sending now?", True),
        ("Je voudrais qu'on augmente l'espace de ma boîte", True),
        ("Comment réactiver la réponse automatique ?", False),
        ("how do I increase the antispam score?", False),
    ],
)
def test_a_request_for_staff_action(text: str, asks: bool) -> None:
    """A request that support act on the account, not a how-to question."""
    assert asks_staff_action(text) is asks


POSTFIX = """This is the mail system at host mail.zindex.fr.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

                   The mail system

<b.morel@example.org>: host mx.example.org[192.0.2.7] said: 550 5.1.1
    <b.morel@example.org>: Recipient address rejected: User unknown"""


def test_everything_from_a_reports_first_line_is_the_report() -> None:
    """Wrapped report sentences that no single line gives away are the report's too; a
    question of the customer's after it is theirs."""
    reading = read(f"J'ai reçu ça en retour, je comprends rien :\n\n{POSTFIX}\n\nQue faire ?")
    assert (
        reading.prose.split() == "J'ai reçu ça en retour, je comprends rien : Que faire ?".split()
    )
    assert "I'm sorry" in reading.machine and "be delivered" in reading.machine


async def test_a_pasted_english_report_keeps_a_french_conversation_french(
    engine: Engine,
) -> None:
    outcome = await engine.handle(
        DialogueState(),
        Turn(f"J'ai envoyé un devis hier et j'ai reçu ça, je comprends rien :\n\n{POSTFIX}"),
        reference=REFERENCE,
    )
    assert outcome.lang == "fr"


@pytest.mark.parametrize(
    ("text", "hacked"),
    [
        ("Je crois que ma boîte a été piratée", True),
        ("My friends get spam that looks like it comes from my email address", True),
        ("des mails envoyés en mon nom que je n'ai jamais écrits", True),
        ("J'ai reçu un mail disant que mon compte a envoyé du spam", True),
        ("my sending is suspended", True),
        ("mes mails arrivent en spam chez mes clients", False),
        ("I never got the reset link", False),
    ],
)
def test_a_hacked_mailbox_is_told(text: str, hacked: bool) -> None:
    assert tells_of_a_hacked_mailbox(text) is hacked


@pytest.mark.parametrize(
    ("text", "known", "unknown"),
    [
        ("mon mail ne part pas", [], []),  # the common word, not a server
        ("ma boîte est sur mail2", ["mail2.zindex.fr"], []),
        ("the list shows mail.zindex.fr, but the paper says mail3", ["mail.zindex.fr"], ["mail3"]),
        ("j'utilise smtp2go sur le port 465", [], []),
    ],
)
def test_servers_named(text: str, known: list[str], unknown: list[str]) -> None:
    assert servers_named(text, ("mail.zindex.fr", "mail2.zindex.fr")) == (known, unknown)
