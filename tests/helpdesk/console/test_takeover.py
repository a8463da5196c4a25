"""Taking over a live chat: the bot stops, staff and customer hear each other at once,
and handing back gives the customer the bot again. Each step is an audited event."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from sqlalchemy import select

from helpdesk.db.models import Message, Ticket, TicketEvent
from helpdesk.keys import SESSIONS
from tests.chatclient import ChatCustomer
from tests.helpdesk.console.conftest import AGENT, Client, Desk, csrf_of


async def recv(ws: ClientWebSocketResponse, wait: float = 10) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), wait)
    assert msg.type == WSMsgType.TEXT, msg
    frame: dict[str, Any] = json.loads(msg.data)
    return frame


async def until(ws: ClientWebSocketResponse, **match: Any) -> dict[str, Any]:
    """The first frame holding every key/value of `match`."""
    while True:
        frame = await recv(ws)
        if all(frame.get(k) == v for k, v in match.items()):
            return frame


async def act(agent: Client, reference: str, action: str, **data: str) -> None:
    token = await csrf_of(agent, f"/staff/tickets/{reference}")
    response = await agent.post(
        f"/staff/tickets/{reference}/{action}",
        data={"csrf": token, **data},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    assert "refused" not in response.headers["Location"], response.headers["Location"]


async def start_chat(desk: Desk) -> ChatCustomer:
    customer = await desk.customer(await desk.anonymous())
    await customer.hello("fr")
    await customer.say("bonjour, ma boîte ne reçoit plus rien")
    return customer


async def test_take_over_talk_live_and_hand_back(desk: Desk) -> None:
    """The whole live exchange over both websockets."""
    customer = await start_chat(desk)
    reference = customer.ticket
    assert reference
    agent = await desk.staff()
    staff_ws = await agent.ws_connect(f"/staff/tickets/{reference}/live")

    # Before the takeover, staff already watch: the customer's words reach them.
    await customer.ws.send_json({"type": "message", "text": "vous êtes là ?"})
    assert (await until(staff_ws, **{"from": "customer"}))["text"] == "vous êtes là ?"
    await customer.bot_messages()

    await act(agent, reference, "takeover")
    joined = await until(customer.ws, type="message", **{"from": "system"})
    assert "conseiller" in joined["text"]
    assert (await until(staff_ws, type="handoff"))["active"] is True

    await staff_ws.send_json({"type": "message", "text": "Bonjour, je regarde votre boîte."})
    heard = await until(customer.ws, type="message", **{"from": "staff"})
    assert heard["text"] == "Bonjour, je regarde votre boîte."
    assert (await until(staff_ws, **{"from": "staff"}))["text"] == heard["text"]

    await customer.ws.send_json({"type": "message", "text": "Merci !"})
    assert (await until(customer.ws, **{"from": "customer"}))["text"] == "Merci !"
    assert (await until(staff_ws, **{"from": "customer"}))["text"] == "Merci !"
    with pytest.raises(TimeoutError):  # the bot stays silent while staff hold the chat
        await customer.recv(0.7)

    await act(agent, reference, "handback")
    back = await until(customer.ws, type="message", **{"from": "system"})
    assert "assistant" in back["text"]
    frames = await customer.say("comment configurer thunderbird en imap")
    assert any(f.get("from") == "bot" for f in frames)

    await act(agent, reference, "resolve")
    async with desk.app[SESSIONS]() as session:
        ticket = (await session.scalars(select(Ticket).where(Ticket.reference == reference))).one()
        events = (
            await session.execute(
                select(TicketEvent.kind, TicketEvent.actor).where(
                    TicketEvent.ticket_id == ticket.id
                )
            )
        ).all()
        staff_said = (await session.scalars(select(Message).where(Message.author == "staff"))).one()
    assert ticket.status == "resolved"
    mine = [kind for kind, actor in events if actor == AGENT[0]]
    assert mine == [
        "ticket.status",  # open -> waiting_staff
        "staff.takeover",
        "staff.message",
        "ticket.status",  # -> open
        "staff.handback",
        "ticket.status",  # -> resolved
    ]
    assert staff_said.staff_id is not None
    await staff_ws.close()


async def test_a_resumed_customer_socket_follows_the_takeover(desk: Desk) -> None:
    """A customer who reconnects (new socket, same token) still gets staff messages, and
    the history holds the notice that a person joined."""
    first = await start_chat(desk)
    reference, token = first.ticket, first.token
    assert reference and token
    await first.ws.close()
    agent = await desk.staff()
    await act(agent, reference, "takeover")
    again = await desk.customer(await desk.anonymous())
    welcome = await again.hello("fr", token=token)
    assert any(m["from"] == "system" for m in welcome["history"])
    await act(agent, reference, "message", text="Toujours là ?")
    assert (await until(again.ws, **{"from": "staff"}))["text"] == "Toujours là ?"


async def test_staff_cannot_talk_before_taking_over(desk: Desk) -> None:
    """A staff message on a chat the bot still holds is refused, on the socket and the form."""
    customer = await start_chat(desk)
    reference = customer.ticket
    assert reference
    agent = await desk.staff()
    staff_ws = await agent.ws_connect(f"/staff/tickets/{reference}/live")
    await staff_ws.send_json({"type": "message", "text": "coucou"})
    assert await until(staff_ws, type="error") == {"type": "error", "code": "not_taken"}
    token = await csrf_of(agent, f"/staff/tickets/{reference}")
    response = await agent.post(
        f"/staff/tickets/{reference}/message",
        data={"csrf": token, "text": "coucou"},
        allow_redirects=False,
    )
    assert response.headers["Location"].endswith("refused=not_taken")
    with pytest.raises(TimeoutError):
        await customer.recv(0.5)
    await staff_ws.close()


async def test_live_socket_from_another_site_is_refused(desk: Desk) -> None:
    """A websocket handshake whose Origin is another site is refused (no cross-site
    websocket hijacking), even with the staff cookie."""
    customer = await start_chat(desk)
    agent = await desk.staff()
    response = await agent.get(
        f"/staff/tickets/{customer.ticket}/live",
        headers={
            "Origin": "https://evil.example",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert response.status == 403
