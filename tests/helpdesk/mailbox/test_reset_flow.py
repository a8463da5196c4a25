"""The password_forgot flow over the chat websocket, with mail captured by a real relay."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from typing import Any

import pytest
from sqlalchemy import func, select, update

from helpdesk.db.models import OutboxMail, OutboxStatus, Ticket, TicketEvent
from helpdesk.keys import OUTBOX, SESSIONS
from helpdesk.mailbox.models import MailboxLink
from helpdesk.mailbox.reset import PER_NETWORK
from helpdesk.mailbox.service import NewMailbox
from tests.chatclient import ChatCustomer, bot_text, last_bot
from tests.helpdesk.mailbox.conftest import PUBLIC_URL, Desk
from tests.helpdesk.outbox.relay import running_relay

JEAN = NewMailbox(
    "jean@exemple.fr", "Ancien-mot-2-passe", "jean.perso@ailleurs.example", "mail.zindex.fr"
)
ANNE = NewMailbox("anne@exemple.fr", "Ancien-mot-2-passe", None, "mail.zindex.fr")
LINK = re.compile(re.escape(PUBLIC_URL) + r"/reset/[A-Za-z0-9_-]{43}")
ASK = {"fr": "j'ai oublié le mot de passe de ma boîte mail", "en": "I forgot my email password"}


async def answer_to(customer: ChatCustomer, text: str) -> tuple[dict[str, Any], float]:
    """The bot's reply to `text` and how long it took to come."""
    await customer.ws.send_json({"type": "message", "text": text})
    start = time.perf_counter()
    while True:
        frame = await customer.recv()
        assert frame["type"] != "error", frame
        if frame["type"] == "message" and frame["from"] == "bot":
            return frame, time.perf_counter() - start


async def reset_answer(desk: Desk, address: str, lang: str = "fr") -> tuple[dict[str, Any], float]:
    customer = await desk.customer()
    await customer.hello(lang)
    asked = await customer.say(ASK[lang])
    assert last_bot(asked)["intent"] == "password_forgot"
    return await answer_to(customer, address)


async def events(desk: Desk, kind_prefix: str) -> list[TicketEvent]:
    async with desk.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.kind.startswith(kind_prefix))
            .order_by(TicketEvent.id)
        )
        return list(rows)


async def test_same_answer_for_every_address(desk: Desk) -> None:
    """Existing, unknown and recovery-less addresses get the same words, choices and timing."""
    await desk.mailboxes.create(JEAN)
    await desk.mailboxes.create(ANNE)
    addresses = [JEAN.address, ANNE.address, "personne@exemple.fr"]
    answers: dict[str, dict[str, Any]] = {}
    times: dict[str, list[float]] = {a: [] for a in addresses}
    for _ in range(5):
        for address in addresses:
            # Let the previous request's background work finish: it must not weigh on this one.
            await desk.resets.drain()
            await asyncio.sleep(0.05)
            frame, elapsed = await reset_answer(desk, address)
            answers[address] = frame
            times[address].append(elapsed)
    shapes = {
        (f["text"].replace(address, "ADDRESS"), repr(f.get("choices")))
        for address, f in answers.items()
    }
    assert len(shapes) == 1, shapes
    text = answers[JEAN.address]["text"]
    assert "secours" in text and "30 minutes" in text
    assert answers[JEAN.address]["choices"] == [
        {"label": "Parler à un conseiller", "value": "human"}
    ]
    medians = [statistics.median(t) for t in times.values()]
    # The lookup and the mail happen after the answer (see the next test): nothing in the
    # answer's path depends on the address, so the times differ by noise only. The bound is
    # loose on purpose: the test machine is shared.
    assert max(medians) - min(medians) < 0.15, times

    mails = await desk.reset_mails(1)
    await asyncio.sleep(0.3)
    assert len(desk.relay.received) == 3  # jean's 5 requests: 3 links, then his mailbox's limit
    assert {m.rcpt_tos[0] for m in mails} == {"jean.perso@ailleurs.example"}
    reasons: dict[str, set[str]] = {}
    for event in await events(desk, "password_reset.not_sent"):
        reasons.setdefault(event.data["address"], set()).add(event.data["reason"])
    # Each address is also counted against its own limit, known or not.
    assert reasons == {
        "jean@exemple.fr": {"mailbox_rate_limited"},
        "anne@exemple.fr": {"no_recovery_address", "mailbox_rate_limited"},
        "personne@exemple.fr": {"unknown_mailbox", "mailbox_rate_limited"},
    }


async def test_answer_is_decided_before_any_lookup(desk: Desk) -> None:
    """When `request` returns (the customer's answer), the mailbox has not been looked up:
    the lookup, the link and the mail all happen afterwards, in the background."""
    await desk.mailboxes.create(JEAN)
    result = await desk.resets.request(
        JEAN.address, client="conversation:test", lang="fr", reference=None
    )
    assert result == "accepted"
    async with desk.app[SESSIONS]() as session:
        assert await session.scalar(select(func.count()).select_from(MailboxLink)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMail)) == 0
    await desk.resets.drain()
    async with desk.app[SESSIONS]() as session:
        assert await session.scalar(select(func.count()).select_from(MailboxLink)) == 1


async def test_the_link_mail(desk: Desk) -> None:
    """The mail goes to the recovery address only, in English for an English conversation,
    with a one-time link built from the public URL; the ticket records the steps."""
    await desk.mailboxes.create(JEAN)
    frame, _ = await reset_answer(desk, "Jean@Exemple.fr", "en")
    assert "recovery address" in frame["text"] and "30 minutes" in frame["text"]
    [mail] = await desk.reset_mails(1)
    assert mail.rcpt_tos == ["jean.perso@ailleurs.example"]
    message = mail.message
    assert message["To"] == "jean.perso@ailleurs.example"
    assert message["Subject"] == "Password reset for jean@exemple.fr"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert len(LINK.findall(body)) == 1 and "30 minutes" in body
    kinds = [e.kind for e in await events(desk, "")]
    for kind in ("password_reset.requested", "password_reset.link_queued"):
        assert kind in kinds
    for _ in range(50):
        if "mail.sent" in [e.kind for e in await events(desk, "mail.")]:
            break
        await asyncio.sleep(0.1)
    assert "mail.sent" in [e.kind for e in await events(desk, "mail.")]
    # The outbox keeps no copy of the link once the relay has the mail.
    async with desk.app[SESSIONS]() as session:
        [row] = list(await session.scalars(select(OutboxMail)))
    assert row.status == OutboxStatus.SENT and LINK.search(row.raw.decode()) is None


async def test_rate_limits(desk: Desk) -> None:
    """A conversation may ask 5 times an hour; a mailbox receives at most 3 links an hour."""
    await desk.mailboxes.create(JEAN)
    customer = await desk.customer()
    await customer.hello("fr")
    texts = []
    for _ in range(6):  # within the websocket's own burst allowance
        frame, _ = await answer_to(customer, "j'ai oublié le mot de passe de jean@exemple.fr")
        texts.append(frame["text"])
    assert all("secours" in t for t in texts[:5])
    assert "Plusieurs demandes" in texts[5]
    await desk.reset_mails(3)
    await asyncio.sleep(0.5)
    assert len(desk.relay.received) == 3
    reasons = [e.data.get("reason") for e in await events(desk, "password_reset.not_sent")]
    assert reasons == ["mailbox_rate_limited", "mailbox_rate_limited"]
    assert len(await events(desk, "password_reset.limited")) == 1


async def test_relay_down_delays_without_losing(
    env: dict[str, str], understanding: Any, aiohttp_client: Any
) -> None:
    """With the relay down the link waits in the outbox; once it is back, it arrives and works."""
    from helpdesk.app import create_app
    from helpdesk.config import load_settings
    from helpdesk.db import create_engine
    from helpdesk.db.migrate import upgrade
    from tests.conftest import free_port
    from tests.helpdesk.outbox.relay import Relay

    port = free_port()
    settings = load_settings(
        {
            **env,
            "HELPDESK_SMTP_RELAY": f"smtp://127.0.0.1:{port}",
            "HELPDESK_PUBLIC_URL": PUBLIC_URL,
        }
    )
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    app = create_app(settings, understanding=understanding)
    client = await aiohttp_client(app)
    desk = Desk(app, client, Relay(port), settings)
    await desk.mailboxes.create(JEAN)
    await reset_answer(desk, JEAN.address)
    await desk.resets.drain()
    for _ in range(50):
        async with app[SESSIONS]() as session:
            row = await session.scalar(select(OutboxMail))
        if row is not None and row.last_error:
            break
        await asyncio.sleep(0.1)
    assert row is not None and row.status == OutboxStatus.PENDING and row.last_error
    with running_relay(relay=desk.relay):
        # Time passes: the retry is due now.
        async with app[SESSIONS]() as session:
            await session.execute(update(OutboxMail).values(next_attempt_at=row.created_at))
            await session.commit()
        app[OUTBOX].wakeup.set()
        [mail] = await desk.relay.wait_for(1)
    link = LINK.search(mail.message.get_content())
    assert link is not None
    page = await client.get(link.group(0).removeprefix(PUBLIC_URL))
    assert page.status == 200
    async with app[SESSIONS]() as session:
        ticket_events = [e.kind for e in await session.scalars(select(TicketEvent))]
        assert await session.scalar(select(Ticket.id)) is not None
    assert "mail.deferred" in ticket_events and "mail.sent" in ticket_events


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_address_given_at_once(desk: Desk, lang: str) -> None:
    """An address in the first message starts the reset without a question."""
    await desk.mailboxes.create(JEAN)
    customer = await desk.customer()
    await customer.hello(lang)
    text = {
        "fr": "j'ai oublié le mot de passe de jean@exemple.fr",
        "en": "I forgot the password of jean@exemple.fr",
    }[lang]
    frames = await customer.say(text)
    assert "jean@exemple.fr" in bot_text(frames)
    assert last_bot(frames)["choices"][0]["value"] == "human"
    assert len(await desk.reset_mails(1)) == 1


async def test_client_limit_holds_across_new_conversations(desk: Desk) -> None:
    """Opening a new conversation for each request does not get round the limits: the chat
    also counts requests per network address (looser: an office shares one address)."""
    texts = []
    for _ in range(PER_NETWORK.count + 1):
        customer = await desk.customer()
        await customer.hello("fr")
        frame, _ = await answer_to(customer, "j'ai oublié le mot de passe de jean@exemple.fr")
        texts.append(frame["text"])
    assert all("secours" in t for t in texts[:-1])
    assert "Plusieurs demandes" in texts[-1]
    [limited] = await events(desk, "password_reset.limited")
    assert limited.data == {"scope": "network"}
