"""Mail the desk queues with what it records: an answer goes out only if it is on the ticket.

The channel composes the mail (addresses, headers, bytes); the desk stores it as an outbox
row in the transaction that records the answer, so either both are there or neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk.db.models import OutboxMail, OutboxStatus, utcnow
from helpdesk.desk.events import record_event


@dataclass(frozen=True)
class QueuedMail:
    """A composed mail for the outbox: envelope sender, recipients and the bytes to send."""

    mail_from: str
    recipients: list[str]
    raw: bytes = field(repr=False)


async def queue(
    session: AsyncSession,
    ticket_id: int | None,
    mail: QueuedMail,
    message_id: int | None = None,
    *,
    problem: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add `mail` to the outbox in the caller's transaction; returns its outbox id.

    With `problem` (an address no relay could take), the row is stored as failed with that
    reason, and the ticket says so: nothing will try to send it.
    """
    now = now or utcnow()
    row = OutboxMail(
        ticket_id=ticket_id,
        message_id=message_id,
        mail_from=mail.mail_from,
        recipients=list(mail.recipients),
        raw=mail.raw,
        status=OutboxStatus.PENDING if problem is None else OutboxStatus.FAILED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        last_error=problem,
    )
    session.add(row)
    await session.flush()
    if problem is not None and ticket_id is not None:
        data = {"outbox_id": row.id, "attempts": 0, "error": problem}
        record_event(session, ticket_id, "mail.failed", "system", data)
    return row.id
