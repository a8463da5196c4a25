"""Outgoing mail: stored first (the outbox table), then sent by a background sender."""

from helpdesk.outbox.sender import Backoff, OutboxSender
from helpdesk.outbox.store import Outbox, OutgoingMail
from helpdesk.outbox.transport import (
    MaildirTransport,
    PermanentError,
    SmtpRelay,
    TransientError,
    Transport,
)

__all__ = [
    "Backoff",
    "MaildirTransport",
    "Outbox",
    "OutboxSender",
    "OutgoingMail",
    "PermanentError",
    "SmtpRelay",
    "TransientError",
    "Transport",
]
