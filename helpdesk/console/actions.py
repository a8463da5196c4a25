"""What staff do to a ticket, as the console offers it: what staff typed is checked, what
the customer reads is worded here, the desk records it (one transaction, one audit event
naming its author), and what the customer must hear live goes through the hub afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpdesk.config import ProviderProfile
from helpdesk.console.auth import Staff
from helpdesk.console.mail import Thread, compose, reply_subject
from helpdesk.console.texts import Texts
from helpdesk.db.models import Message, TicketStatus
from helpdesk.desk.hub import ChatHub, message_event
from helpdesk.desk.mail import QueuedMail
from helpdesk.desk.staff import Notice, Refusal, Refused, StaffDesk

__all__ = ["MAX_TEXT", "Refusal", "Refused", "TicketActions"]

MAX_TEXT = 20_000


def _text(text: str) -> str:
    text = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if not text:
        raise Refused(Refusal.EMPTY)
    if len(text) > MAX_TEXT:
        raise Refused(Refusal.TOO_LONG)
    return text


class TicketActions:
    def __init__(
        self,
        desk: StaffDesk,
        hub: ChatHub,
        texts: Texts,
        provider: ProviderProfile,
        message_ids: Callable[[str], str],
    ) -> None:
        """`message_ids` gives a new signed Message-ID for a mail of a ticket reference."""
        self._desk = desk
        self._message_ids = message_ids
        self._hub = hub
        self._texts = texts
        self._provider = provider

    # -- live chat ------------------------------------------------------------------------

    async def take_over(self, staff: Staff, ticket_id: int) -> None:
        """Staff take the chat: the bot stops, the customer is told a person joined."""
        notice = await self._desk.take_over(staff, ticket_id, self._notice("customer.joined"))
        await self._hub.publish(ticket_id, {"kind": "handoff", "active": True})
        await self._hub.publish(ticket_id, message_event(notice))

    async def hand_back(self, staff: Staff, ticket_id: int) -> None:
        """The bot answers again; the customer is told so."""
        notice = await self._desk.hand_back(staff, ticket_id, self._notice("customer.handed_back"))
        await self._hub.publish(ticket_id, {"kind": "handoff", "active": False})
        await self._hub.publish(ticket_id, message_event(notice))

    async def say(self, staff: Staff, ticket_id: int, text: str) -> Message:
        """A staff message in a chat staff have taken over; it reaches the customer live."""
        message = await self._desk.say(staff, ticket_id, _text(text))
        await self._hub.publish(ticket_id, message_event(message))
        return message

    # -- ticket state ---------------------------------------------------------------------

    async def note(self, staff: Staff, ticket_id: int, text: str) -> None:
        """An internal note: staff only, never shown to the customer."""
        await self._desk.note(staff, ticket_id, _text(text))

    async def set_status(self, staff: Staff, ticket_id: int, status: TicketStatus) -> None:
        """Resolve or reopen."""
        await self._desk.set_status(staff, ticket_id, status)

    # -- email ----------------------------------------------------------------------------

    async def email(self, staff: Staff, ticket_id: int, text: str, lang: str) -> Message:
        """An answer by email through the outbox, threaded after the customer's last mail."""
        text = _text(text)
        facts = await self._desk.mail_facts(ticket_id)
        if not facts.customer_email:
            raise Refused(Refusal.NO_EMAIL)
        thread = Thread.after(facts.last_email)
        sent = compose(
            self._provider,
            to=facts.customer_email,
            subject=reply_subject(
                facts.subject,
                facts.reference,
                self._texts.get(facts.lang or lang, "customer.default_subject"),
            ),
            body=text,
            thread=thread,
            message_id=self._message_ids(facts.reference),
        )
        meta: dict[str, Any] = {"message_id": sent.message_id, "to": sent.recipient}
        if thread.in_reply_to:
            meta["in_reply_to"] = thread.in_reply_to
            meta["references"] = list(thread.references)
        mail = QueuedMail(sent.mail_from, [sent.recipient], sent.raw)
        return await self._desk.answer_by_email(staff, ticket_id, text, meta=meta, mail=mail)

    async def send_transcript(self, staff: Staff, ticket_id: int, body: str, lang: str) -> None:
        """Mail the customer their conversation (asked for by them), through the outbox."""
        facts = await self._desk.mail_facts(ticket_id)
        if not facts.customer_email:
            raise Refused(Refusal.NO_EMAIL)
        sent = compose(
            self._provider,
            to=facts.customer_email,
            subject=self._texts.get(
                facts.lang or lang, "customer.transcript_subject", reference=facts.reference
            ),
            body=body,
            thread=Thread(None, ()),
            message_id=self._message_ids(facts.reference),
        )
        mail = QueuedMail(sent.mail_from, [sent.recipient], sent.raw)
        await self._desk.mail_transcript(staff, ticket_id, mail)

    # -- helpers --------------------------------------------------------------------------

    def _notice(self, key: str) -> Notice:
        return lambda lang: self._texts.get(lang or "fr", key)
