"""RFC 3834's implicit-delivery check: support answers only mail that names one of its
addresses in To or Cc; mail that only reached it in Bcc is recorded for staff, unanswered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from helpdesk.config import ConfigError, load_settings
from helpdesk.db.models import Message, OutboxMail, TicketEvent
from helpdesk.email.loops import no_answer_reason
from helpdesk.email.parse import parse_mail
from helpdesk.keys import SESSIONS
from tests.helpdesk.email.conftest import SUPPORT, Desk, Relay, mail, start_desk


async def outcome(desk: Desk, message_id: str) -> tuple[int, list[dict[str, Any]]]:
    """How many answers the ticket of `message_id` has, and its not-answered events."""
    await desk.idle()
    async with desk.app[SESSIONS]() as session:
        row = await session.scalar(
            select(Message).where(Message.meta["message_id"].as_string() == message_id)
        )
        assert row is not None, "the message must land on a ticket"
        answers = (
            await session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == row.ticket_id))
        ).all()
        events = (
            await session.scalars(
                select(TicketEvent.data).where(
                    TicketEvent.ticket_id == row.ticket_id,
                    TicketEvent.kind == "email.not_answered",
                )
            )
        ).all()
    return len(answers), list(events)


async def test_support_only_in_bcc_is_recorded_not_answered(desk: Desk, relay: Relay) -> None:
    """Support in Bcc (the envelope names it, the headers do not): on a ticket, no answer,
    and the event says why with the recipients the mail named."""
    msg = mail("Comment accéder au webmail ?", to="Collègue <collegue@exemple.fr>")
    await desk.send(msg)  # RCPT TO support, as a Bcc copy arrives
    answers, events = await outcome(desk, str(msg["Message-ID"]))
    assert answers == 0
    assert events == [
        {"reason": "implicit_delivery", "to": ["collegue@exemple.fr"], "envelope_to": [SUPPORT]}
    ]
    assert not relay.to("client@exemple.fr")


@pytest.mark.parametrize("header", ["To", "Cc"])
async def test_support_in_to_or_cc_is_answered(desk: Desk, relay: Relay, header: str) -> None:
    """Support named in To, or in Cc beside someone else, gets its automatic answer."""
    msg = mail("Comment accéder au webmail ?", to="collegue@exemple.fr")
    if header == "To":
        msg.replace_header("To", f"collegue@exemple.fr, Support <{SUPPORT.upper()}>")
    else:
        msg["Cc"] = f"Support <{SUPPORT}>"
    await desk.send(msg)
    answers, events = await outcome(desk, str(msg["Message-ID"]))
    assert (answers, events) == (1, [])
    await relay.wait_for("client@exemple.fr")


async def test_envelope_recipient_counts_as_ours(desk: Desk) -> None:
    """Mail the server delivered for an address (Delivered-To on top, as an MDA writes it
    for IMAP-fetched mail) and that names it in To is answered: it is for support."""
    raw = (
        b"Return-Path: <client@exemple.fr>\r\nDelivered-To: contact@zindex.fr\r\n"
        + mail("Comment accéder au webmail ?", to="contact@zindex.fr").as_bytes()
    )
    handled = await desk.channel.responder.handle(raw)
    assert handled.outcome == "answered"


def test_delivered_to_below_the_trace_block_is_the_sender_s_text() -> None:
    """Only the Delivered-To a server put on top counts: one among the sender's own
    headers names no envelope."""
    raw = b"From: a@exemple.fr\r\nDelivered-To: contact@zindex.fr\r\nTo: contact@zindex.fr\r\n\r\nx"
    mail_ = parse_mail(raw)
    assert mail_.envelope_recipients == ()
    reason = no_answer_reason(mail_, support_address=SUPPORT, is_ours=lambda _: False)
    assert reason == "implicit_delivery"


def test_configured_aliases_are_support_addresses() -> None:
    """An alias support is reached at counts as much as the support address."""
    raw = b"From: a@exemple.fr\r\nTo: Contact <Contact@Zindex.fr>\r\n\r\nx"
    parsed = parse_mail(raw)
    kwargs: dict[str, Any] = {"support_address": SUPPORT, "is_ours": lambda _: False}
    assert no_answer_reason(parsed, **kwargs) == "implicit_delivery"
    assert no_answer_reason(parsed, aliases=("contact@zindex.fr",), **kwargs) is None


def test_resent_to_names_support() -> None:
    """A message re-sent to support (Resent-To, RFC 5322 §3.6.6) is addressed to it."""
    raw = b"From: a@exemple.fr\r\nTo: b@exemple.fr\r\nResent-To: support@zindex.fr\r\n\r\nx"
    reason = no_answer_reason(parse_mail(raw), support_address=SUPPORT, is_ours=lambda _: False)
    assert reason is None


async def test_aliases_from_the_configuration_are_answered(
    email_env: dict[str, str], understanding: Any, dns_server: Any, relay: Relay, tmp_path: Any
) -> None:
    """`[provider] support_aliases` reaches the responder: mail To an alias is answered."""
    config = tmp_path / "helpdesk.toml"
    config.write_text('[provider]\nsupport_aliases = ["contact@zindex.fr"]\n')
    settings = load_settings({**email_env, "HELPDESK_CONFIG": str(config)})
    assert settings.provider.support_aliases == ("contact@zindex.fr",)
    running, runner = await start_desk(settings, understanding, dns_server)
    try:
        msg = mail("Comment accéder au webmail ?", to="Contact <contact@zindex.fr>")
        await running.send(msg)
        answers, events = await outcome(running, str(msg["Message-ID"]))
    finally:
        await runner.cleanup()
    assert (answers, events) == (1, [])


def test_a_bad_alias_is_refused_by_name(tmp_path: Any) -> None:
    """An alias that is no address stops the configuration with the key's name."""
    config = tmp_path / "helpdesk.toml"
    config.write_text('[provider]\nsupport_aliases = ["contact at zindex"]\n')
    with pytest.raises(ConfigError, match="support_aliases"):
        load_settings({"HELPDESK_CONFIG": str(config)})
