"""Mail the desk queues with what it records: an answer goes out only if it is on the ticket.

The channel composes the mail (addresses, headers, bytes); the desk stores it as an outbox
row in the transaction that records the answer, so either both are there or neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk.db.models import OutboxMail, OutboxStatus


@dataclass(frozen=True)
class QueuedMail:
    """A composed mail for the outbox: envelope sender, recipients and the bytes to send."""

    mail_from: str
    recipients: list[str]
    raw: bytes = field(repr=False)


async def queue(
    session: AsyncSession, ticket_id: int, mail: QueuedMail, message_id: int | None = None
) -> int:
    """Add `mail` to the outbox in the caller's transaction; returns its outbox id."""
    row = OutboxMail(
        ticket_id=ticket_id,
        message_id=message_id,
        mail_from=mail.mail_from,
        recipients=list(mail.recipients),
        raw=mail.raw,
        status=OutboxStatus.PENDING,
    )
    session.add(row)
    await session.flush()
    return row.id
