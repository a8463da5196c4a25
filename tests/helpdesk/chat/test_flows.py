"""Each intent's flow end to end over the websocket, in French and English.

A customer who gives what the flow needs reaches the answer in at most three turns, and
the answer carries the facts of the provider profile or of the check that was run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from sqlalchemy import select

from helpdesk.db.models import Message, Ticket, TicketEvent
from helpdesk.keys import SESSIONS
from tests.chatclient import ChatCustomer, bot_text, last_bot

Connect = Callable[[], Awaitable[ChatCustomer]]

# (lang, customer turns ("choice:" picks a quick reply), facts the last answer must hold)
CASES: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "webmail": [
        ("fr", ["comment accéder au webmail ?"], ["https://webmail.zindex.fr", "mail2.zindex.fr"]),
        ("en", ["how do I log in to webmail?"], ["https://webmail.zindex.fr"]),
    ],
    "client_settings": [
        ("fr", ["comment configurer thunderbird en imap"], ["993", "465", "SSL", "Thunderbird"]),
        ("fr", ["je veux configurer ma boite sur mon iphone", "pop"], ["995", "465", "iPhone"]),
        ("en", ["how do I set up Outlook?", "choice:imap"], ["993", "465", "Outlook"]),
    ],
    "imap_vs_pop": [
        ("fr", ["quelle est la différence entre imap et pop ?"], ["IMAP", "POP", "15"]),
        ("en", ["should I use IMAP or POP?", "choice:imap"], ["993"]),
    ],
    "autoreply": [
        ("fr", ["comment mettre un message d'absence ?"], ["https://mail.zindex.fr:8443"]),
        ("en", ["how can I set an out of office reply"], ["8443", "Auto-reply"]),
    ],
    "bounce": [
        ("fr", ["j'ai reçu une erreur 552 5.3.4 message file too big"], ["20"]),
        ("fr", ["mon mail revient avec une erreur", "452 4.2.2 Mailbox full"], ["4.2.2"]),
        (
            "en",
            ["I got this: 550 5.1.1 <john@example.com>: Recipient address rejected: User unknown"],
            ["john@example.com"],
        ),
        (
            "en",
            ["bounce: 554 5.7.0 The limit on the number of allowed outgoing messages was exceeded"],
            ["300"],
        ),
    ],
    "not_received": [
        (
            "fr",
            ["mon destinataire ne reçoit pas mes mails", "choice:no", "choice:webmail"],
            ["destinataire"],
        ),
        (
            "en",
            ["my client says he never got my email", "choice:no", "choice:client_app"],
            ["webmail.zindex.fr"],
        ),
    ],
    "spam_placement": [
        (
            "fr",
            ["mes mails arrivent en spam chez mes clients, mon domaine est exemple.fr"],
            ["exemple.fr", "mail-tester"],
        ),
        ("en", ["my emails go to junk at gmail", "exemple.fr"], ["exemple.fr", "mail-tester"]),
    ],
    "spf": [
        (
            "fr",
            ["pouvez-vous vérifier le SPF de exemple.fr ?"],
            ["v=spf1 a:mail.zindex.fr", "p=quarantine"],
        ),
        ("en", ["check the spf record of broken-shop.com"], ["+all"]),
    ],
    "backup": [
        ("fr", ["comment sauvegarder mes mails imap ?"], [".pst", "Thunderbird"]),
        ("en", ["how do I back up my mailbox"], [".pst"]),
    ],
    "auto_cc": [
        (
            "fr",
            ["mettre quelqu'un en copie automatiquement dans thunderbird"],
            ["Copies et dossiers"],
        ),
        ("en", ["automatically cc my boss on every email in thunderbird"], ["Copies & Folders"]),
    ],
    "password_forgot": [
        (
            "fr",
            ["j'ai oublié le mot de passe de ma boite", "contact@exemple.fr"],
            ["contact@exemple.fr", "secours"],
        ),
        ("en", ["I forgot my email password", "contact@exemple.fr"], ["recovery address"]),
    ],
    "password_change": [
        ("fr", ["comment changer mon mot de passe ?"], ["8 caractères", "webmail.zindex.fr"]),
        ("en", ["how can I change my password"], ["8 characters"]),
    ],
    "mailbox_create": [
        ("fr", ["comment créer une nouvelle adresse mail ?"], ["Créer un compte mail", "8"]),
        ("en", ["how do I create a new email address"], ["Create a mail account"]),
    ],
    "forwarding": [
        ("fr", ["je voudrais rediriger mes mails vers une autre adresse"], ["Rediriger", "Gmail"]),
        ("en", ["how do I forward my emails to another address"], ["Forward", "Gmail"]),
    ],
    "alias": [
        ("fr", ["comment créer un alias ?"], ["alias", "destinations"]),
        ("en", ["how do I create an alias"], ["alias", "destinations"]),
    ],
    "antispam": [
        (
            "fr",
            ["je reçois trop de spam, comment bloquer un expéditeur ?"],
            ["blacklist_from", "5"],
        ),
        ("en", ["I receive lots of spam, how do I block a sender"], ["blacklist_from", "5"]),
    ],
    "quota_full": [
        ("fr", ["ma boite mail est pleine"], ["95 %", "452 4.2.2"]),
        ("en", ["my mailbox is full"], ["95 %"]),
    ],
    "sending_limit": [
        ("fr", ["je ne peux plus envoyer de mails, envoi bloqué"], ["300", "72"]),
        ("en", ["my account was suspended for sending spam"], ["300", "72"]),
    ],
    "greeting": [
        ("fr", ["bonjour"], ["Bonjour"]),
        ("en", ["hello"], ["Hello"]),
    ],
    "thanks": [
        ("fr", ["merci beaucoup"], ["plaisir"]),
        ("en", ["thank you"], ["welcome"]),
    ],
    "out_of_scope": [
        ("fr", ["comment renouveler mon nom de domaine ?"], ["messagerie"]),
        ("en", ["how do I renew my domain name"], ["mail"]),
    ],
    "human": [
        ("fr", ["je veux parler à un conseiller"], ["ticket HD-", "support@zindex.fr"]),
        ("en", ["I want to talk to a human"], ["ticket HD-"]),
    ],
}

# A flow may hand over to the flow that holds the answer.
FOLLOW_UPS = {"imap_vs_pop": {"client_settings"}, "not_received": {"bounce"}}

PARAMS = [
    pytest.param(intent, lang, turns, facts, id=f"{intent}-{lang}-{n}")
    for intent, cases in CASES.items()
    for n, (lang, turns, facts) in enumerate(cases)
]


async def converse(c: ChatCustomer, lang: str, turns: list[str]) -> list[dict[str, object]]:
    await c.hello(lang)
    frames: list[dict[str, object]] = []
    for turn in turns:
        frames = await (c.choose(turn[7:]) if turn.startswith("choice:") else c.say(turn))
    return frames


@pytest.mark.parametrize(("intent", "lang", "turns", "facts"), PARAMS)
async def test_flow_reaches_its_answer(
    customer: Connect, intent: str, lang: str, turns: list[str], facts: list[str]
) -> None:
    """The conversation reaches the intent's answer in at most 3 turns, with the right facts."""
    assert len(turns) <= 3
    c = await customer()
    frames = await converse(c, lang, turns)
    answer = bot_text(frames)
    for fact in facts:
        assert fact.lower() in answer.lower(), f"{fact!r} not in {answer!r}"
    # A flow may end in the answer it leads to (IMAP chosen -> the IMAP settings).
    assert last_bot(frames).get("intent") in {intent} | FOLLOW_UPS.get(intent, set())


async def test_spf_check_is_recorded_on_the_ticket(
    customer: Connect, chat_app: web.Application
) -> None:
    """The domain check's structured result is stored with the bot's answer."""
    c = await customer()
    await converse(c, "fr", ["vérifiez le SPF de broken-shop.com"])
    async with chat_app[SESSIONS]() as session:
        payloads = (
            await session.scalars(select(Message.payload).where(Message.author == "bot"))
        ).all()
    checks = [chk for p in payloads for chk in p.get("checks", [])]
    [domain] = [chk for chk in checks if chk["name"] == "domain"]
    assert domain["input"] == {"domain": "broken-shop.com"}
    codes = [f["code"] for f in domain["result"]["spf"]["findings"]]
    assert "plus_all" in codes


async def test_human_hand_off_waits_for_staff_and_the_bot_stops(
    customer: Connect, chat_app: web.Application
) -> None:
    """After a hand-off the ticket waits for staff and the bot no longer answers."""
    c = await customer()
    await converse(c, "en", ["I want to speak to a person"])
    await c.ws.send_json({"type": "message", "text": "hello? anyone?"})
    echo = await c.recv()
    assert echo["from"] == "customer"
    with pytest.raises(TimeoutError):
        await c.recv(0.5)
    async with chat_app[SESSIONS]() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        kinds = (await session.scalars(select(TicketEvent.kind))).all()
    assert ticket.status == "waiting_staff"
    assert "handoff" in kinds


async def test_unclear_message_asks_then_offers_a_human(customer: Connect) -> None:
    """Below the confidence floor the bot asks which topic; a second miss offers a person."""
    c = await customer()
    await c.hello("fr")
    first = last_bot(await c.say("euh"))
    second = last_bot(await c.say("bof"))
    assert len(first.get("choices", [])) >= 2
    assert any(ch["value"] == "human" for ch in second.get("choices", []))


@pytest.mark.parametrize(
    ("lang", "turns"),
    [
        ("fr", ["mon destinataire n'a rien reçu", "choice:no", "choice:webmail"]),
        ("en", ["my recipient never got my email", "choice:no", "choice:webmail"]),
    ],
)
async def test_not_received_details_reach_staff_with_the_moment_resolved(
    customer: Connect, chat_app: web.Application, lang: str, turns: list[str]
) -> None:
    """Recipient and time go to staff: the words as written and the resolved window."""
    c = await customer()
    await converse(c, lang, turns)
    when = "hier à 14h" if lang == "fr" else "yesterday at 2pm"
    await c.say(f"paul@exemple.fr, {when}")
    async with chat_app[SESSIONS]() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        [details] = (
            await session.scalars(
                select(TicketEvent.data).where(TicketEvent.kind == "not_received.details")
            )
        ).all()
    assert ticket.status == "waiting_staff"
    assert details["recipient"] == "paul@exemple.fr"
    assert details["when"] == when
    # Resolved in the provider's zone (Europe/Paris in the shipped profile), at 14:00.
    assert details["when_resolved"].endswith(("T14:00+01:00", "T14:00+02:00"))
