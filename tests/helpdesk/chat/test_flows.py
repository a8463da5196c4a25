"""The engine's flows as the chat channel carries them: quick replies and their labels,
real checks over DNS and the bounce parser, the state stored between turns, hand-off.

What each flow says and asks is tested without a server in tests/helpdesk/engine/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from helpdesk.db.models import Conversation, Message, Ticket, TicketEvent
from helpdesk.keys import SESSIONS
from tests.chatclient import ChatCustomer, bot_text, last_bot

Connect = Callable[[], Awaitable[ChatCustomer]]


async def converse(c: ChatCustomer, lang: str, turns: list[str]) -> list[dict[str, Any]]:
    await c.hello(lang)
    frames: list[dict[str, Any]] = []
    for turn in turns:
        frames = await (c.choose(turn[7:]) if turn.startswith("choice:") else c.say(turn))
    return frames


async def test_a_picked_reply_is_echoed_with_its_label_and_continues_the_flow(
    customer: Connect, chat_app: web.Application
) -> None:
    """A choice frame is echoed as the label the customer saw, and the flow stored between
    turns goes on to its answer."""
    c = await customer()
    asked = await converse(c, "en", ["should I use IMAP or POP in Outlook?"])
    assert {"label": "IMAP", "value": "imap"} in last_bot(asked)["choices"]
    async with chat_app[SESSIONS]() as session:
        [state] = (await session.scalars(select(Conversation.state))).all()
    assert state["flow"] == "client_settings"
    assert {"label": "IMAP", "value": "imap"} in state["offered"]
    frames = await c.choose("imap")
    assert frames[0]["from"] == "customer" and frames[0]["text"] == "IMAP"
    assert "993" in bot_text(frames) and "Outlook" in bot_text(frames)
    assert last_bot(frames).get("intent") == "client_settings"


@pytest.mark.parametrize(
    ("lang", "text", "fact"),
    [
        ("fr", "j'ai reçu une erreur 552 5.3.4 message file too big", "20"),
        ("en", "I got this: 550 5.1.1 <john@example.com>: Recipient address rejected", "john@"),
    ],
)
async def test_a_pasted_bounce_is_explained_by_the_real_parser(
    customer: Connect, lang: str, text: str, fact: str
) -> None:
    """The chat's engine runs the real bounce parser and words its diagnosis."""
    c = await customer()
    frames = await converse(c, lang, [text])
    assert fact in bot_text(frames)
    assert last_bot(frames).get("intent") == "bounce"


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


async def test_not_received_details_reach_staff_with_the_moment_resolved(
    customer: Connect, chat_app: web.Application
) -> None:
    """Recipient and time are stored for staff, the moment read in the provider's zone."""
    c = await customer()
    await converse(c, "fr", ["mon destinataire n'a rien reçu", "choice:no", "choice:webmail"])
    when = "hier à 14h"
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


async def test_the_ticket_keeps_the_customers_problem_and_language(
    customer: Connect, chat_app: web.Application
) -> None:
    """A French customer who pastes an English bounce and then says thank you: the ticket
    stays French and about the bounce, not relabelled by the bounce's language or the
    thanks."""
    c = await customer()
    frames = await converse(
        c,
        "fr",
        [
            "Bonjour, mon mail revient avec ça :\n"
            "550 5.1.1 <paul@example.org>: Recipient address rejected: User unknown",
            "merci beaucoup",
        ],
    )
    assert last_bot(frames)["text"]
    async with chat_app[SESSIONS]() as session:
        ticket = (await session.scalars(select(Ticket))).one()
    assert (ticket.lang, ticket.intent) == ("fr", "bounce")
