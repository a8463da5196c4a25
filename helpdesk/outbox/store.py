"""The outbox: every outgoing email is a row before anything tries to send it.

Mail is claimed with a lease (status `sending`, `next_attempt_at` = end of the lease), so a
process that dies mid-send leaves rows another claim picks up again: delivery is at least
once, and nothing is lost across restarts. PostgreSQL claims with FOR UPDATE SKIP LOCKED so
several processes share the queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP
from email.utils import getaddresses
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import OutboxMail, OutboxStatus, TicketEvent, utcnow

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

    @property
    def sensitive(self) -> bool:
        return self.raw.startswith(SENSITIVE_MARK)

    @property
    def wire(self) -> bytes:
        """The bytes to transmit (without our internal mark)."""
        return self.raw.removeprefix(SENSITIVE_MARK)


def _redacted(raw: bytes) -> bytes:
    message = BytesParser(policy=SMTP).parsebytes(raw)
    for name in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
        del message[name]
    message.set_content(REDACTED_BODY)
    return message.as_bytes(policy=SMTP)


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
        recipients = [
            addr
            for _, addr in getaddresses(
                [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
            )
            if addr
        ]
        if not recipients:
            raise ValueError("the message has no recipient")
        del message["Bcc"]
        sender = mail_from or getaddresses([str(message.get("From", ""))])[0][1]
        if not sender:
            raise ValueError("the message has no sender")
        raw = message.as_bytes(policy=SMTP)
        if sensitive:
            raw = SENSITIVE_MARK + raw
        now = self._clock()
        async with self._sessions() as session:
            row = OutboxMail(
                ticket_id=ticket_id,
                mail_from=sender,
                recipients=recipients,
                raw=raw,
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            session.add(row)
            await session.commit()
        self.wakeup.set()
        return row.id

    async def claim(self, limit: int, lease: timedelta) -> list[OutgoingMail]:
        """Take up to `limit` due mails (pending, or sending with an expired lease)."""
        now = self._clock()
        async with self._sessions() as session:
            query = (
                select(OutboxMail)
                .where(
                    OutboxMail.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    OutboxMail.next_attempt_at <= now,
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
                    )
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) != 1:
                    continue
                claimed.append(
                    OutgoingMail(
                        row.id,
                        row.ticket_id,
                        row.mail_from,
                        list(row.recipients),
                        row.raw,
                        row.attempts + 1,
                        row.created_at,
                    )
                )
            await session.commit()
            return claimed

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
                session.add(
                    TicketEvent(ticket_id=mail.ticket_id, kind=kind, actor="system", data=data)
                )
            await session.commit()

    async def sent(self, mail: OutgoingMail, via: str) -> None:
        values: dict[str, Any] = {
            "status": OutboxStatus.SENT,
            "sent_at": self._clock(),
            "last_error": None,
        }
        if mail.sensitive:
            values["raw"] = _redacted(mail.wire)
        await self._finish(mail, values, ("mail.sent", {"via": via}))

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
