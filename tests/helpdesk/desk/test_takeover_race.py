"""The lost update of the audit: staff take over a chat while the bot's turn waits on a
slow DNS answer. The late turn must commit nothing and say nothing; the ticket stays with
the staff member, whose next message is delivered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from diagnostics.dns import Answer, TxtRecord
from diagnostics.zone import ZoneResolver
from helpdesk.app import create_app
from helpdesk.config import load_settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from helpdesk.db.models import Author, Holder, Message, Ticket
from helpdesk.keys import ENGINE, SESSIONS
from helpdesk.staff.accounts import create_staff
from tests.helpdesk.console.conftest import AGENT, ZONE, Client, Desk, log_in
from tests.helpdesk.console.test_takeover import act, until


async def frames_within(customer: Any, seconds: float) -> list[dict[str, Any]]:
    """Every frame the customer gets in the next `seconds`."""
    frames = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frames.append(await customer.recv(seconds))
    return frames


class SlowDns(ZoneResolver):
    """The zone's answers, but TXT lookups wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__(ZONE)
        self.asked = asyncio.Event()
        self.gate = asyncio.Event()

    async def txt(self, name: str) -> Answer[TxtRecord]:
        self.asked.set()
        await self.gate.wait()
        return await super().txt(name)


@pytest.fixture
async def slow_desk(
    database_url: str,
    data_dir: Path,
    understanding: Any,
    aiohttp_client: Callable[..., Awaitable[Client]],
    aiohttp_server: Callable[..., Awaitable[Any]],
) -> AsyncIterator[tuple[Desk, SlowDns]]:
    """The help desk on SQLite or PostgreSQL, with a DNS that answers when told to."""
    settings = load_settings(
        {
            "HELPDESK_DATA_DIR": str(data_dir),
            "HELPDESK_DATABASE_URL": database_url,
            "HELPDESK_SMTP_LISTEN": "",
            "HELPDESK_SECRET_KEY": "race-test-key-" + "r" * 24,
        }
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    dns = SlowDns()
    app: web.Application = create_app(settings, understanding=understanding, resolver=dns)
    server = await aiohttp_server(app)
    await create_staff(app[ENGINE], AGENT[0], AGENT[1], "agent")
    clients: list[Client] = []

    async def make(**kwargs: Any) -> Client:
        client = await aiohttp_client(server, **kwargs)
        clients.append(client)
        return client

    yield Desk(app, make), dns
    dns.gate.set()
    for client in clients:
        await client.session.close()


async def test_takeover_during_a_slow_bot_turn_wins(slow_desk: tuple[Desk, SlowDns]) -> None:
    """Takeover while the bot waits on DNS: the bot's late answer is neither stored nor
    sent, the ticket stays with the staff member, and their message reaches the customer."""
    desk, dns = slow_desk
    customer = await desk.customer(await desk.anonymous())
    await customer.hello("fr")
    await customer.ws.send_json(
        {"type": "message", "text": "pouvez-vous vérifier le SPF de exemple.fr ?"}
    )
    await until(customer.ws, type="message", **{"from": "customer"})
    await asyncio.wait_for(dns.asked.wait(), 10)  # the bot's turn now waits on DNS
    reference = customer.ticket
    assert reference

    agent = await desk.make_client()
    assert (await log_in(agent, *AGENT)).status == 303
    await act(agent, reference, "takeover")
    joined = await until(customer.ws, type="message", **{"from": "system"})
    dns.gate.set()  # the slow answer arrives after the takeover

    staff_ws = await agent.ws_connect(f"/staff/tickets/{reference}/live")
    await staff_ws.send_json({"type": "message", "text": "Je m'occupe de votre SPF."})
    heard = await until(customer.ws, type="message", **{"from": "staff"})
    assert heard["text"] == "Je m'occupe de votre SPF."

    sessions = desk.app[SESSIONS]
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket is not None
        assert ticket.holder == Holder.STAFF and ticket.assignee_id is not None
        late = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.ticket_id == ticket.id, Message.author == Author.BOT)
            .where(Message.id > int(joined["id"]))
        )
    assert late == 0, "the bot spoke after the takeover"
    await customer.ws.send_json({"type": "message", "text": "merci"})
    await until(customer.ws, type="message", **{"from": "customer"})
    # And it stays silent while staff hold the chat.
    assert [f for f in await frames_within(customer, 1.0) if f.get("from") == "bot"] == []
    await staff_ws.close()


async def test_without_takeover_the_slow_turn_answers(slow_desk: tuple[Desk, SlowDns]) -> None:
    """The same slow turn, with nobody taking over, answers with the SPF check."""
    desk, dns = slow_desk
    customer = await desk.customer(await desk.anonymous())
    await customer.hello("fr")
    await customer.ws.send_json(
        {"type": "message", "text": "pouvez-vous vérifier le SPF de exemple.fr ?"}
    )
    await asyncio.wait_for(dns.asked.wait(), 10)
    dns.gate.set()
    answer = await until(customer.ws, type="message", **{"from": "bot"})
    assert "exemple.fr" in answer["text"]
