"""A ticket's status: the one rule every writer follows."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk.db.models import Ticket, TicketEvent, TicketStatus, utcnow


async def change_status(
    session: AsyncSession, ticket_id: int, status: str, actor: str
) -> str | None:
    """Move the ticket to `status` in the caller's transaction; returns the status it had,
    or None when it already had this one (then nothing is written).

    One `ticket.status` event records the change; `resolved_at` is the time of resolving
    and is cleared by any other status (a reopened ticket is no longer resolved).
    """
    before = await session.scalar(select(Ticket.status).where(Ticket.id == ticket_id))
    if before is None or before == status:
        return None
    now = utcnow()
    await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(
            status=status,
            resolved_at=now if status == TicketStatus.RESOLVED else None,
            updated_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind="ticket.status",
            actor=actor,
            data={"from": before, "to": str(status)},
        )
    )
    return before
