"""Erasing tickets: a customer's data on request, resolved tickets past their retention.

Both run in the caller's transaction, so that the console's audit line of the erasure
commits with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk.db.models import OutboxMail, Ticket, TicketStatus


async def erase_customer(session: AsyncSession, email: str) -> int:
    """Delete every ticket of the customer writing from `email`; returns how many."""
    # Both spellings, so that the customer_email index serves the lookup.
    return await _erase(session, Ticket.customer_email.in_({email, email.lower()}))


async def erase_ticket(session: AsyncSession, reference: str) -> int:
    """Delete the ticket `reference` (1), or nothing (0)."""
    return await _erase(session, Ticket.reference == reference)


async def purge_resolved(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete up to `limit` tickets resolved before `before`; returns how many."""
    ids = (
        await session.scalars(
            select(Ticket.id)
            .where(Ticket.status == TicketStatus.RESOLVED, Ticket.resolved_at < before)
            .limit(limit)
        )
    ).all()
    await _delete(session, ids)
    return len(ids)


async def _erase(session: AsyncSession, where: ColumnElement[bool]) -> int:
    ids = (await session.scalars(select(Ticket.id).where(where))).all()
    await _delete(session, ids)
    return len(ids)


async def _delete(session: AsyncSession, ids: Sequence[int]) -> None:
    if not ids:
        return
    # Outgoing mail holds the conversation's text too; messages, events, conversations
    # and the console's search terms cascade from tickets.
    await session.execute(delete(OutboxMail).where(OutboxMail.ticket_id.in_(ids)))
    await session.execute(delete(Ticket).where(Ticket.id.in_(ids)))
