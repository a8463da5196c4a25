"""The email responder: one received message in, a ticket entry and (maybe) an answer out.

Order matters: a message already on a ticket is a duplicate (a restart, or the same mail
fetched twice) and is left alone; then the thread is found; then the loop rules and the
rate limits decide whether the bot may answer; only then does the engine run. Whatever
happens, the message lands on a ticket, in the same transaction as the answer and its
outbox row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.db.models import Holder, TicketStatus
from helpdesk.email.compose import Block, Composer, Envelope
from helpdesk.email.conversation import MailConversation, mail_text
from helpdesk.email.loops import no_answer_reason
from helpdesk.email.parse import InboundMail, parse_mail
from helpdesk.email.store import EmailStore, Outgoing, Record, TicketInfo
from helpdesk.email.threads import MessageIds, reply_subject, subject_reference
from helpdesk.engine import DialogueState, redact

log = logging.getLogger("helpdesk.email")


@dataclass(frozen=True)
class RateLimits:
    """Automatic answers allowed per ticket and per sender address within `window`."""

    per_ticket: int = 5
    per_sender: int = 10
    window: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Handled:
    """What became of one message: `answered`, `recorded` (no answer) or `duplicate`."""

    outcome: str
    reference: str
    reason: str | None = None
    outbox_id: int | None = None


class EmailResponder:
    def __init__(
        self,
        *,
        conversation: MailConversation,
        composer: Composer,
        store: EmailStore,
        ids: MessageIds,
        timezone: str,
        limits: RateLimits | None = None,
        clock: Callable[[], datetime] | None = None,
        aliases: tuple[str, ...] = (),
    ) -> None:
        """`aliases`: addresses support is reached at besides the provider's support
        address; mail naming none of them in To or Cc gets no automatic answer."""
        self._conversation = conversation
        self._composer = composer
        self._store = store
        self._ids = ids
        self._zone = ZoneInfo(timezone)
        self._limits = limits or RateLimits()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._aliases = tuple(a.lower() for a in aliases)

    async def handle(
        self, raw: bytes, *, spool_name: str = "", truncated_size: int | None = None
    ) -> Handled:
        """Record `raw` on a ticket and answer it when the bot may and can."""
        mail = await asyncio.to_thread(parse_mail, raw)
        ticket = await self._thread(mail)
        reason = no_answer_reason(
            mail,
            support_address=self._composer.support_address,
            is_ours=self._ids.is_ours,
            aliases=self._aliases,
        )
        ours_bounced = None
        if reason in ("bounce", "null_sender"):
            # A bounce of one of our answers quotes its Message-ID: it belongs there.
            bounced = self._ids.find_in(raw[:1_000_000].decode("latin-1"))
            ours_bounced = await self._store.by_reference(bounced) if bounced else None
            ticket = ours_bounced or ticket
        # Handled before (a restart, or the same mail fetched twice): leave it alone. The
        # same message always threads to the same ticket, so that is where to look.
        if ticket is not None and await self._store.holds(
            ticket.id, mail.message_id, mail.from_address, _subject(mail)
        ):
            return Handled("duplicate", ticket.reference)
        rec = self._record_for(mail, ticket, spool_name)
        if reason is not None:
            return await self._unanswered(mail, rec, reason, bounced=ours_bounced is not None)
        limited = await self._rate_limited(mail, ticket)
        if limited is not None:
            rec.events.append(("email.not_answered", {"reason": limited}))
            rec.status = TicketStatus.WAITING_STAFF  # a person should look at this thread
            return await self._save(rec, "recorded", limited)
        if truncated_size is not None:
            size_mb = f"{truncated_size / 1_048_576:.1f}"
            lang = mail.lang_hint or (ticket.lang if ticket else None) or "fr"
            block = Block(self._composer.say(lang, "email.too_big", size_mb=size_mb))
            rec.events.append(("email.too_big", {"size": truncated_size}))
            return await self._answer(mail, rec, [block], lang, intents=[])
        state = ticket.state if ticket else DialogueState()
        if ticket is not None and ticket.holder != Holder.BOT:
            rec.events.append(("email.not_answered", {"reason": "staff"}))
            return await self._save(rec, "recorded", "staff")
        try:
            return await self._converse(mail, ticket, rec, state)
        except Exception:
            # A bug must not stop the queue or lose the message: staff get it unanswered.
            log.exception("could not answer %s", mail.message_id)
            rec.events.append(("email.not_answered", {"reason": "error"}))
            rec.status = TicketStatus.WAITING_STAFF
            rec.answer, rec.state = None, None
            return await self._save(rec, "recorded", "error")

    # --- threading

    async def _thread(self, mail: InboundMail) -> TicketInfo | None:
        for mid in mail.thread_ids:
            reference = self._ids.reference_of(mid)
            if reference is not None:
                found = await self._store.by_reference(reference)
                if found is not None:
                    return found
        sender = mail.from_address
        for mid in mail.thread_ids[:5] if sender else ():
            # Such ids are no secret: they thread only the ticket's own customer.
            found = await self._store.by_thread_message(sender, mid)
            if found is not None:
                return found
        reference = subject_reference(mail.subject)
        if reference is not None and sender:
            found = await self._store.by_reference(reference)
            if found is not None and found.customer_email == sender:
                return found
        # The ticket this very message opened before a crash cut its handling short.
        return await self._store.by_reference(self._ids.reference_for(mail.message_id))

    def _record_for(self, mail: InboundMail, ticket: TicketInfo | None, spool: str) -> Record:
        body, _ = redact(mail.text)
        meta: dict[str, Any] = {
            "message_id": mail.message_id,
            "in_reply_to": mail.in_reply_to[0] if mail.in_reply_to else None,
            "references": list(mail.references[-10:]),
            "from": mail.from_address,
            "from_name": mail.from_name,
            "reply_to": mail.reply_to,
            "to": list(mail.recipients),
            "subject": _subject(mail),
            "date": mail.date.isoformat() if mail.date else None,
            "size": mail.size,
            "spool": spool,
        }
        if mail.synthetic_id:
            meta["synthetic_message_id"] = True
        if mail.quoted_removed:
            meta["quoted_removed"] = True
        if mail.attachments:
            meta["attachment_count"] = len(mail.attachments)
            meta["attachments"] = [
                {"filename": a.filename, "type": a.content_type, "size": a.size}
                for a in mail.attachments[:50]
            ]
        if mail.forwarded:
            meta["forwarded"] = [redact(f[:10_000])[0] for f in mail.forwarded[:3]]
        if mail.defects:
            meta["defects"] = mail.defects
        if mail.envelope_recipients:
            meta["envelope_to"] = list(mail.envelope_recipients)
        if mail.address_problem is not None:
            problem = mail.address_problem
            meta["address_problem"] = {"header": problem.header, "value": problem.value}
        return Record(
            reference=ticket.reference if ticket else self._ids.reference_for(mail.message_id),
            ticket_id=ticket.id if ticket else None,
            subject=_subject(mail),
            customer_email=mail.from_address or mail.reply_to or None,
            inbound_body=body,
            inbound_meta=meta,
        )

    # --- not answered

    async def _unanswered(
        self, mail: InboundMail, rec: Record, reason: str, *, bounced: bool
    ) -> Handled:
        data: dict[str, Any] = {"reason": reason}
        if reason == "bad_address" and mail.address_problem is not None:
            problem = mail.address_problem
            data |= {"header": problem.header, "value": problem.value}
            log.warning("%s: %s: %r is not an address: %s",
                        mail.message_id, problem.header, problem.value, problem.why)  # fmt: skip
        elif reason == "implicit_delivery":
            data |= {"to": list(mail.recipients), "envelope_to": list(mail.envelope_recipients)}
        rec.events.append(("email.not_answered", data))
        if bounced:
            rec.events.append(("email.answer_bounced", {"from": mail.from_address}))
            rec.status = TicketStatus.WAITING_STAFF  # the customer did not get our answer
        return await self._save(rec, "recorded", reason)

    async def _rate_limited(self, mail: InboundMail, ticket: TicketInfo | None) -> str | None:
        since = self._clock() - self._limits.window
        limit = self._limits.per_ticket
        if ticket is not None and await self._store.answers_on_ticket(ticket.id, since) >= limit:
            return "rate_limited_ticket"
        sender = mail.from_address or mail.reply_to
        if sender and await self._store.answers_to(sender, since) >= self._limits.per_sender:
            return "rate_limited_sender"
        return None

    async def _save(self, rec: Record, outcome: str, reason: str | None = None) -> Handled:
        reference, outbox_id = await self._store.record(rec)
        if reason is not None:
            log.info("recorded on %s without answer: %s", reference, reason)
        return Handled(outcome, reference, reason, outbox_id)

    # --- answered

    def _written_at(self, mail: InboundMail) -> datetime:
        now = self._clock()
        when = mail.date
        if when is None or not now - timedelta(days=7) <= when <= now + timedelta(hours=1):
            when = now
        return when.astimezone(self._zone)

    async def _converse(
        self, mail: InboundMail, ticket: TicketInfo | None, rec: Record, state: DialogueState
    ) -> Handled:
        text = mail_text(mail, new_thread=ticket is None)
        if text is None:
            lang = mail.lang_hint or (ticket.lang if ticket else None) or "fr"
            rec.events.append(("email.empty", {}))
            return await self._answer(
                mail, rec, [Block(self._composer.say(lang, "email.empty"))], lang, intents=[]
            )
        if rec.ticket_id is None:
            # The engine's actions (a password reset) record events on the ticket: it
            # must exist first. Same reference on a retry, so no second ticket.
            created = await self._store.ensure_ticket(
                rec.reference,
                subject=rec.subject,
                customer_email=rec.customer_email,
                lang=mail.lang_hint,
            )
            rec.ticket_id = created.id
        answered = await self._conversation.answer(
            state,
            whole=text.whole,
            own=text.own,
            had_secret=text.had_secret,
            lang_hint=mail.lang_hint or (ticket.lang if ticket else None),
            reference=rec.reference,
            now=self._written_at(mail),
        )
        lang = answered.lang
        blocks = list(answered.blocks)
        if not blocks:  # the engine had nothing to say: no mail with only a greeting
            rec.events += answered.outcome.events
            rec.events.append(("email.not_answered", {"reason": "nothing_to_say"}))
            rec.state = answered.state
            return await self._save(rec, "recorded", "nothing_to_say")
        if answered.handoff:  # the blocks already say so, in the email's words
            rec.status = TicketStatus.WAITING_STAFF
            rec.handoff = True
        payload: dict[str, Any] = {}
        if answered.outcome.understood is not None:
            payload["understood"] = answered.outcome.understood
        if answered.outcome.checks:
            payload["checks"] = [
                {"name": c.name, "input": c.input, "result": c.result}
                for c in answered.outcome.checks
            ]
        rec.events += answered.outcome.events
        rec.state = answered.state
        intents = answered.intents
        rec.intent = answered.outcome.topic
        return await self._answer(mail, rec, blocks, lang, intents=intents, payload=payload)

    async def _answer(
        self,
        mail: InboundMail,
        rec: Record,
        blocks: list[Block],
        lang: str,
        *,
        intents: list[str],
        payload: dict[str, Any] | None = None,
    ) -> Handled:
        rec.lang = lang
        message_id = self._ids.new(rec.reference)
        in_reply_to = None if mail.synthetic_id else mail.message_id
        subject = reply_subject(
            rec.subject, rec.reference, self._composer.say(lang, "email.subject_default")
        )
        to = mail.reply_to
        envelope = Envelope(
            to=to,
            to_name=mail.from_name if to == mail.from_address else "",
            subject=subject,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=mail.references,
        )
        composed = self._composer.compose(
            blocks, lang=lang, reference=rec.reference, envelope=envelope, now=self._clock()
        )
        body = "\n\n".join(b.text for b in blocks)
        rec.answer = Outgoing(
            body=body,
            payload=payload or {},
            meta={
                "message_id": message_id,
                "in_reply_to": in_reply_to,
                "to": [to],
                "subject": composed.subject,
                "intents": intents,
                "choices": [c for b in blocks for c in b.choices],
            },
            mail_from=composed.mail_from,
            recipients=list(composed.recipients),
            raw=composed.raw,
        )
        rec.events.append(("email.answered", {"message_id": message_id, "to": to}))
        return await self._save(rec, "answered")


def _subject(mail: InboundMail) -> str:
    """The subject as stored and echoed: a password typed into it is masked too."""
    return redact(mail.subject)[0]
