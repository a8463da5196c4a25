"""The help desk database: models, engine, migrations."""

from helpdesk.db.engine import create_engine, session_factory
from helpdesk.db.models import (
    Base,
    Conversation,
    Message,
    OutboxMail,
    StaffUser,
    Ticket,
    TicketEvent,
)

__all__ = [
    "Base",
    "Conversation",
    "Message",
    "OutboxMail",
    "StaffUser",
    "Ticket",
    "TicketEvent",
    "create_engine",
    "session_factory",
]
