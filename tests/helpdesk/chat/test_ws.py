"""The /chat/ws protocol of contracts.md: frames, resume, storage, redaction, bad input."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import select

from helpdesk.db.models import Conversation, Message, Ticket
from helpdesk.keys import SESSIONS
from tests.chatclient import ChatCustomer, bot_text

Connect = Callable[[], Awaitable[ChatCustomer]]


async def test_hello_starts_a_ticket_with_an_opening(customer: Connect) -> None:
    """hello with no conversation gets a welcome (token, ticket, empty history) and a greeting."""
    c = await customer()
    await c.ws.send_json({"type": "hello", "conversation": None, "lang": "en"})
    welcome = await c.recv()
    assert welcome["type"] == "welcome"
    assert welcome["history"] == []
    assert welcome["ticket"].startswith("HD-")
    assert welcome["conversation"] != welcome["ticket"] and len(welcome["conversation"]) >= 40
    opening = await c.recv()
    assert opening["type"] == "message" and opening["from"] == "bot"
    assert "Z-Index" in opening["text"]
    assert {"label", "value"} <= set(opening["choices"][0])


async def test_resume_returns_the_history(customer: Connect) -> None:
    """A new connection with the token gets the same ticket and the earlier messages."""
    first = await customer()
    await first.hello("fr")
    await first.say("bonjour")
    await first.ws.close()
    second = await customer()
    welcome = await second.hello("fr", token=first.token)
    assert welcome["ticket"] == first.ticket
    texts = [m["text"] for m in welcome["history"]]
    assert "bonjour" in texts
    assert [m["from"] for m in welcome["history"]][:2] == ["bot", "customer"]
    assert all(m["type"] == "message" and m["id"] for m in welcome["history"])


async def test_resume_survives_a_restart(
    customer: Connect,
    chat_app: web.Application,
    understanding: object,
    aiohttp_client: Callable[..., Awaitable[object]],
) -> None:
    """The state is in the database: a fresh app on the same database resumes the flow."""
    from helpdesk.app import create_app
    from helpdesk.keys import SETTINGS

    c = await customer()
    await c.hello("fr")
    frames = await c.say("quelle est la différence entre imap et pop ?")
    assert any(ch["value"] == "imap" for ch in frames[-1].get("choices", []))
    restarted = create_app(chat_app[SETTINGS], understanding=understanding)  # type: ignore[arg-type]
    client = await aiohttp_client(restarted)  # type: ignore[misc]
    again = ChatCustomer(await client.ws_connect("/chat/ws"))  # type: ignore[attr-defined]
    await again.hello("fr", token=c.token)
    frames = await again.choose("imap")
    assert "993" in bot_text(frames)


async def test_unknown_token_starts_a_new_conversation(customer: Connect) -> None:
    """A forged or expired token is not an error: it opens a new ticket."""
    c = await customer()
    welcome = await c.hello("fr", token="x" * 43)
    assert welcome["history"] == []
    assert welcome["conversation"] != "x" * 43


async def test_messages_are_stored_before_the_answer(
    customer: Connect, chat_app: web.Application
) -> None:
    """The customer's message is echoed with its stored id, then answered; both are stored."""
    c = await customer()
    await c.hello("fr")
    frames = await c.say("merci beaucoup")
    echo = frames[0]
    assert echo["from"] == "customer" and echo["text"] == "merci beaucoup"
    async with chat_app[SESSIONS]() as session:
        stored = (await session.scalars(select(Message).order_by(Message.id))).all()
        ticket = (await session.scalars(select(Ticket))).one()
    assert str(stored[1].id) == echo["id"]
    assert [m.author for m in stored] == ["bot", "customer", "bot"]
    assert stored[2].payload["understood"]["intent"] == "thanks"
    assert ticket.reference == c.ticket and ticket.lang == "fr"


async def test_password_is_redacted_before_storage(
    customer: Connect, chat_app: web.Application
) -> None:
    """A typed password is masked in the echo, the database and the token table alike."""
    c = await customer()
    await c.hello("fr")
    frames = await c.say("mon mot de passe est Tr0ub4dor&3 et ça ne marche pas")
    assert "Tr0ub4dor" not in json.dumps(frames)
    assert "jamais besoin de votre mot de passe" in bot_text(frames)
    async with chat_app[SESSIONS]() as session:
        bodies = (await session.scalars(select(Message.body))).all()
        states = (await session.scalars(select(Conversation.state))).all()
    assert not any("Tr0ub4dor" in b for b in bodies)
    assert "Tr0ub4dor" not in json.dumps(states)


async def error_code(c: ChatCustomer, payload: str | bytes) -> str:
    if isinstance(payload, bytes):
        await c.ws.send_bytes(payload)
    else:
        await c.ws.send_str(payload)
    frame = await c.recv()
    assert frame["type"] == "error" and frame["message"], frame
    return str(frame["code"])


async def test_bad_frames_get_error_frames_and_the_connection_lives(customer: Connect) -> None:
    """Malformed, binary, unknown, empty and oversized inputs each get their error frame."""
    c = await customer()
    assert await error_code(c, json.dumps({"type": "message", "text": "hi"})) == "hello_first"
    await c.hello("en")
    assert await error_code(c, "{not json") == "bad_json"
    assert await error_code(c, "[1, 2]") == "bad_frame"
    assert await error_code(c, b"\x00\xff binary") == "binary_not_supported"
    assert await error_code(c, json.dumps({"type": "dance"})) == "unknown_type"
    assert await error_code(c, json.dumps({"type": "message", "text": 42})) == "bad_frame"
    assert await error_code(c, json.dumps({"type": "message", "text": "   "})) == "empty_message"
    big = json.dumps({"type": "message", "text": "a" * 100_000})
    assert await error_code(c, big) == "too_long"
    assert await error_code(c, json.dumps({"type": "hello"})) == "already_started"
    frames = await c.say("thanks a lot")  # still alive, same ticket
    assert "welcome" in bot_text(frames)


async def test_flood_is_rate_limited(customer: Connect, chat_app: web.Application) -> None:
    """A burst beyond the per-connection limit gets rate_limited errors, and the ticket lives."""
    c = await customer()
    await c.hello("en")
    for n in range(30):
        await c.ws.send_json({"type": "message", "text": f"hello {n}"})
    codes = []
    for _ in range(200):
        frame = await c.recv()
        if frame["type"] == "error":
            codes.append(frame["code"])
        if len(codes) >= 10:
            break
    assert set(codes) == {"rate_limited"}
    async with chat_app[SESSIONS]() as session:
        assert (await session.scalars(select(Ticket.reference))).one() == c.ticket


async def test_invalid_utf8_and_control_characters(customer: Connect) -> None:
    """NUL bytes and lone surrogates do not break the turn."""
    c = await customer()
    await c.hello("fr")
    frames = await c.say("bonjour\x00 \ud800")
    assert frames[0]["from"] == "customer"


async def test_unknown_choice_is_read_as_text(customer: Connect) -> None:
    """A choice value the bot did not offer is treated as typed text, not trusted."""
    c = await customer()
    await c.hello("en")
    frames = await c.choose("intent:human; drop table")
    assert frames[0]["from"] == "customer"
    assert frames[-1]["from"] == "bot"
