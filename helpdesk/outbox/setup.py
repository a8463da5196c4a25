"""Choosing the transport from the settings."""

from __future__ import annotations

import logging

from helpdesk.config import Settings
from helpdesk.outbox.journal import HandoverJournal
from helpdesk.outbox.sender import OutboxSender
from helpdesk.outbox.store import Outbox
from helpdesk.outbox.transport import MaildirTransport, SmtpRelay, Transport

log = logging.getLogger("helpdesk.outbox")

MAILDIR_NAME = "outgoing-maildir"


def transport_for(settings: Settings) -> Transport:
    """The configured relay, or a Maildir under the data dir (said in the log)."""
    if settings.smtp_relay is not None:
        log.info("outgoing mail goes to the SMTP relay %s", settings.smtp_relay.masked())
        return SmtpRelay(settings.smtp_relay)
    path = settings.data_dir / MAILDIR_NAME
    log.warning(
        "no SMTP relay configured (HELPDESK_SMTP_RELAY): outgoing mail is written to the "
        "Maildir %s instead of being sent",
        path.resolve(),
    )
    return MaildirTransport(path)


def sender_for(settings: Settings, outbox: Outbox, transport: Transport | None) -> OutboxSender:
    """The sender of this process: the given transport or the configured one, with the
    hand-over journal in the data dir."""
    return OutboxSender(
        outbox,
        transport or transport_for(settings),
        journal=HandoverJournal(settings.data_dir),
    )
