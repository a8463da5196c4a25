"""Ticket events written in a transaction the caller holds.

For a writer whose event belongs with a row of its own (the outbox's delivery outcome
with the outbox row): the event is the desk's, the transaction the caller's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk.db.models import TicketEvent


def record_event(
    session: AsyncSession,
    ticket_id: int,
    kind: str,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Add one event to the ticket in the caller's transaction."""
    session.add(TicketEvent(ticket_id=ticket_id, kind=kind, actor=actor, data=data or {}))
