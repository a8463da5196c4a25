"""The transcript page and its exports, from a conversation held over the real chat."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from helpdesk.db.models import Message, OutboxMail, Ticket
from helpdesk.keys import SESSIONS
from tests.helpdesk.console.conftest import Desk

PASSWORD = "Zq8!secretPass"
XSS = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


async def chat(desk: Desk, *lines: str, lang: str = "en") -> str:
    """A customer's conversation over /chat/ws; returns the ticket reference."""
    client = await desk.anonymous()
    customer = await desk.customer(client)
    await customer.hello(lang)
    for line in lines:
        await customer.say(line)
    await customer.ws.close()
    assert customer.ticket
    return customer.ticket


async def test_transcript_shows_messages_understanding_and_checks(desk: Desk) -> None:
    """Messages in order with their authors, the bot's reading (intent, confidence,
    language) and the bounce it parsed, field by field."""
    reference = await chat(
        desk, "I got this: 550 5.1.1 <john@example.com>: Recipient address rejected: User unknown"
    )
    agent = await desk.staff()
    html = await (await agent.get(f"/staff/tickets/{reference}?lang=en")).text()
    authors = re.findall(r'<li class="msg from-(\w+)"', html)
    assert authors[:3] == ["bot", "customer", "bot"]
    assert "Understood" in html and "<code>bounce</code>" in html and "confidence" in html
    check = html[html.index('data-check="bounce"') :]
    for fact in ("john@example.com", "userunknown", "5.1.1", "550"):
        assert fact in check, fact
    assert "Full result" in check
    assert "ticket.created" in html  # the audit trail


async def test_customer_html_is_shown_as_text(desk: Desk) -> None:
    """Markup a customer types is escaped on the page, in the queue and in the print view."""
    reference = await chat(desk, XSS)
    agent = await desk.staff()
    for path in (
        f"/staff/tickets/{reference}",
        f"/staff/tickets/{reference}/print",
        "/staff/tickets",
        "/staff/tickets?q=pwned",
    ):
        html = await (await agent.get(path)).text()
        assert "<script>window.__pwned" not in html and "<img src=x" not in html, path
    page = await (await agent.get(f"/staff/tickets/{reference}")).text()
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page


async def test_a_password_typed_by_a_customer_never_shows(desk: Desk) -> None:
    """The page, the queue preview, search, and both exports show the mask, never the
    password itself."""
    reference = await chat(desk, f"my password is {PASSWORD} and I cannot log in")
    agent = await desk.staff()
    for path in (
        f"/staff/tickets/{reference}",
        f"/staff/tickets/{reference}/print",
        f"/staff/tickets/{reference}/export.json",
        "/staff/tickets",
    ):
        body = await (await agent.get(path)).text()
        assert PASSWORD not in body, path
        assert PASSWORD.lower() not in body.lower(), path
    page = await (await agent.get(f"/staff/tickets/{reference}")).text()
    assert "[•••]" in page
    search = await (await agent.get(f"/staff/tickets?q={PASSWORD[4:]}")).text()
    assert reference not in search


async def test_export_json_and_printable_page(desk: Desk) -> None:
    """The JSON export holds every message with its author and the audit trail; the
    printable page holds the conversation and no controls."""
    reference = await chat(desk, "how do I set up Thunderbird in IMAP?")
    agent = await desk.staff()
    response = await agent.get(f"/staff/tickets/{reference}/export.json")
    assert response.content_type == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(await response.text())
    assert data["reference"] == reference
    assert [m["author"] for m in data["messages"]][:2] == ["bot", "customer"]
    assert data["messages"][1]["text"] == "how do I set up Thunderbird in IMAP?"
    assert any(m["understood"] for m in data["messages"])
    assert data["events"][0]["kind"] == "ticket.created"
    printable = await (await agent.get(f"/staff/tickets/{reference}/print")).text()
    assert "Thunderbird" in printable and "<form" not in printable


async def test_email_delivery_status_is_shown(desk: Desk) -> None:
    """An email answer shows what the outbox did with it (pending, then its status)."""
    async with desk.app[SESSIONS]() as session:
        ticket = Ticket(
            reference="HD-MAIL0001",
            channel="email",
            customer_email="jean@exemple.fr",
            subject="Mail refusé",
        )
        ticket.messages.append(
            Message(
                author="customer",
                channel="email",
                body="Bonjour, mon mail revient.",
                meta={"message_id": "<a1@exemple.fr>"},
            )
        )
        session.add(ticket)
        await session.commit()
    agent = await desk.staff()
    page = await agent.get("/staff/tickets/HD-MAIL0001")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert token
    await agent.post(
        "/staff/tickets/HD-MAIL0001/email",
        data={"csrf": token.group(1), "text": "Voici la solution."},
    )
    async with desk.app[SESSIONS]() as session:
        mail = (await session.scalars(select(OutboxMail))).one()
        mail.status, mail.attempts, mail.last_error = "failed", 3, "550 no such user"
        await session.commit()
    html = await (await agent.get("/staff/tickets/HD-MAIL0001?lang=en")).text()
    delivery = html[html.index('class="delivery') :]
    assert "failed" in delivery and "3 attempts" in delivery and "550 no such user" in delivery
