"""Tickets: every conversation, its transcript and its audit trail."""

from helpdesk.tickets.store import TicketStore, new_reference

__all__ = ["TicketStore", "new_reference"]
