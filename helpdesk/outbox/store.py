"""The outbox: every outgoing email is a row before anything tries to send it.

Mail is claimed with a lease (status `sending`, `next_attempt_at` = end of the lease), so a
process that dies mid-send leaves rows another claim picks up again: nothing is lost across
restarts. Such a mail comes back marked `interrupted`, and the sender asks the transport
whether the earlier attempt got through before sending it again: the Maildir can tell, an
SMTP relay cannot, so with a relay delivery is at least once. The window is one commit: the
relay's answer (with its queue ID) is recorded right after its 250, before anything else.
PostgreSQL claims with FOR UPDATE SKIP LOCKED so several processes share the queue.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, SMTPUTF8
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import OutboxMail, OutboxStatus, utcnow
from helpdesk.desk.events import record_event
from helpdesk.desk.mail import QueuedMail, queue
from helpdesk.outbox.addresses import BadAddress, checked, needs_smtputf8
from helpdesk.outbox.journal import process_alive

# First line of a stored message whose body holds a secret (a one-time link): the sender
# strips it before sending and blanks the body once the relay has the mail.
SENSITIVE_MARK = b"X-Helpdesk-Sensitive: yes\r\n"
REDACTED_BODY = "(body removed from the outbox after delivery: it held a one-time link)\n"


@dataclass(frozen=True)
class OutgoingMail:
    """A claimed row, ready to hand to a transport."""

    id: int
    ticket_id: int | None
    mail_from: str
    recipients: list[str]
    raw: bytes = field(repr=False)
    attempts: int
    created_at: datetime
    # Claimed again after a lease ran out: an earlier attempt may have reached the relay.
    interrupted: bool = False

    @classmethod
    def of(cls, row: OutboxMail, attempts: int, *, interrupted: bool = False) -> OutgoingMail:
        return cls(
            row.id,
            row.ticket_id,
            row.mail_from,
            list(row.recipients),
            row.raw,
            attempts,
            row.created_at,
            interrupted,
        )

    @property
    def sensitive(self) -> bool:
        return self.raw.startswith(SENSITIVE_MARK)

    @property
    def wire(self) -> bytes:
        """The bytes to transmit (without our internal mark)."""
        return self.raw.removeprefix(SENSITIVE_MARK)


def _header_values(message: EmailMessage, names: tuple[str, ...]) -> list[str]:
    # raw_items: the values as stored, not run through the message's own header parser
    # (which may raise on a malformed value before anything could be checked).
    wanted = {n.lower() for n in names}
    return [str(value) for name, value in message.raw_items() if name.lower() in wanted]


def _addresses(message: EmailMessage, names: tuple[str, ...]) -> list[str]:
    """The checked addr-specs of these headers, read with the strict header parser of
    `email.policy.default` whatever policy the message was built with."""
    found = []
    for value in _header_values(message, names):
        # A folded header's line breaks are white space; any other CR or LF is an attempt
        # to smuggle a header (or a recipient) in.
        unfolded = re.sub(r"\r?\n(?=[ \t])", "", value)
        if "\r" in unfolded or "\n" in unfolded:
            raise BadAddress(f"{value!r} holds a line break")
        header = EmailMessage(policy=SMTPUTF8)
        try:
            header["To"] = unfolded
            addresses = header["To"].addresses
        except (ValueError, IndexError, HeaderParseError) as exc:
            raise BadAddress(f"{value!r}: {exc}") from None
        # RFC 6532 allows what the parser flags as a non-ASCII local part; nothing else.
        defects = [d for d in header["To"].defects if not isinstance(d, NonASCIILocalPartDefect)]
        if not addresses or defects:
            raise BadAddress(f"{value!r} is not a list of addresses")
        found += [checked(a.addr_spec) for a in addresses]
    return found


def _redacted(raw: bytes) -> bytes:
    message = BytesParser(policy=SMTP).parsebytes(raw)
    for name in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
        del message[name]
    message.set_content(REDACTED_BODY)
    return message.as_bytes(policy=SMTP)


def _running(claimer: str) -> bool:
    """Whether the process of a claim made on this host still runs (a pid taken again by
    another process counts as running: its claim then waits for the end of its lease)."""
    try:
        return process_alive(int(claimer.rsplit("/", 1)[1]))
    except (ValueError, IndexError):
        return True


class Outbox:
    """Queue operations over one session factory; each method is one transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._host = socket.gethostname()
        self._claimer = f"{self._host}/{os.getpid()}"
        # Set on every enqueue so a sender in this process starts at once.
        self.wakeup = asyncio.Event()

    async def enqueue(
        self,
        message: EmailMessage,
        *,
        ticket_id: int | None = None,
        mail_from: str | None = None,
        sensitive: bool = False,
    ) -> int:
        """Store `message` for sending to its To, Cc and Bcc; returns the outbox id.

        `sensitive`: the body holds a secret, blanked in the outbox after delivery.
        """
        # A bad address is this mail's outcome, not its caller's crash: the row is kept as
        # failed with the reason, and the ticket says it.
        problem = None
        try:
            recipients = _addresses(message, ("To", "Cc", "Bcc"))
            sender = (
                checked(mail_from) if mail_from else next(iter(_addresses(message, ("From",))), "")
            )
        except BadAddress as exc:
            problem = f"not sent: {exc}"
            recipients = _header_values(message, ("To", "Cc", "Bcc"))
            sender = mail_from or next(iter(_header_values(message, ("From",))), "")
        if not recipients:
            raise ValueError("the message has no recipient")
        if not sender:
            raise ValueError("the message has no sender")
        del message["Bcc"]
        utf8 = needs_smtputf8(sender) or any(needs_smtputf8(r) for r in recipients)
        # An internationalised address can only be written as UTF-8 (RFC 6532), and the
        # transport then sends it with SMTPUTF8 or not at all.
        raw = message.as_bytes(policy=SMTPUTF8 if utf8 else SMTP)
        if sensitive:
            raw = SENSITIVE_MARK + raw
        async with self._sessions() as session:
            outbox_id = await queue(
                session,
                ticket_id,
                QueuedMail(sender, recipients, raw),
                problem=problem,
                now=self._clock(),
            )
            await session.commit()
        if problem is None:
            self.wakeup.set()
        return outbox_id

    async def claim(self, limit: int, lease: timedelta) -> list[OutgoingMail]:
        """Take up to `limit` due mails: pending, or sending with an expired lease or a
        claimer that has died on this host."""
        now = self._clock()
        async with self._sessions() as session:
            dead = await self._dead_claimers(session)
            query = (
                select(OutboxMail)
                .where(
                    OutboxMail.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    or_(OutboxMail.next_attempt_at <= now, OutboxMail.claimed_by.in_(dead)),
                )
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(await session.scalars(query))
            claimed = []
            for row in rows:
                # Claim only if nobody else did since we read it: on SQLite (no SKIP LOCKED)
                # two processes may read the same row, one of them wins here.
                result = await session.execute(
                    update(OutboxMail)
                    .where(
                        OutboxMail.id == row.id,
                        OutboxMail.status == row.status,
                        OutboxMail.attempts == row.attempts,
                    )
                    .values(
                        status=OutboxStatus.SENDING,
                        attempts=row.attempts + 1,
                        next_attempt_at=now + lease,
                        claimed_by=self._claimer,
                    )
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) != 1:
                    continue
                claimed.append(
                    OutgoingMail.of(
                        row, row.attempts + 1, interrupted=row.status == OutboxStatus.SENDING
                    )
                )
            await session.commit()
            return claimed

    async def _dead_claimers(self, session: AsyncSession) -> list[str]:
        held = await session.scalars(
            select(OutboxMail.claimed_by)
            .where(
                OutboxMail.status == OutboxStatus.SENDING,
                OutboxMail.claimed_by.startswith(self._host + "/", autoescape=True),
            )
            .distinct()
        )
        return [c for c in held if c and c != self._claimer and not _running(c)]

    async def _finish(
        self, mail: OutgoingMail, values: dict[str, Any], event: tuple[str, dict[str, Any]]
    ) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if mail.ticket_id is not None:
                kind, data = event
                data = {"outbox_id": mail.id, "attempts": mail.attempts, **data}
                record_event(session, mail.ticket_id, kind, "system", data)
            await session.commit()

    async def sent(self, mail: OutgoingMail, via: str, reply: str) -> None:
        """Record the hand-over; `reply` is the relay's answer (its queue ID in it)."""
        values: dict[str, Any] = {
            "status": OutboxStatus.SENT,
            "sent_at": self._clock(),
            "last_error": None,
            "relay_reply": reply[:500],
        }
        if mail.sensitive:
            values["raw"] = _redacted(mail.wire)
        await self._finish(mail, values, ("mail.sent", {"via": via, "reply": reply[:500]}))

    async def expired(self, older_than: timedelta) -> list[OutgoingMail]:
        """Mails still waiting, in any state (a stuck `sending` included), that were queued
        longer ago than `older_than`: the sender gives them up."""
        limit = self._clock() - older_than
        async with self._sessions() as session:
            rows = await session.scalars(
                select(OutboxMail).where(
                    OutboxMail.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    OutboxMail.created_at < limit,
                )
            )
            return [OutgoingMail.of(r, r.attempts) for r in rows]

    async def retry(self, mail: OutgoingMail, error: str, delay: timedelta) -> None:
        at = self._clock() + delay
        values = {"status": OutboxStatus.PENDING, "next_attempt_at": at, "last_error": error}
        event = ("mail.deferred", {"error": error, "next_attempt_at": at.isoformat()})
        await self._finish(mail, values, event)

    async def failed(self, mail: OutgoingMail, error: str) -> None:
        values: dict[str, Any] = {"status": OutboxStatus.FAILED, "last_error": error}
        if mail.sensitive:
            values["raw"] = _redacted(mail.wire)
        await self._finish(mail, values, ("mail.failed", {"error": error}))

    async def next_due(self) -> datetime | None:
        """When the earliest waiting mail is due (None when nothing waits)."""
        async with self._sessions() as session:
            return await session.scalar(
                select(OutboxMail.next_attempt_at)
                .where(OutboxMail.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                .order_by(OutboxMail.next_attempt_at)
                .limit(1)
            )
