"""The mailbox side of the help desk, built once: mailbox service, outbox and its sender,
password resets and settings sheets (used by the composition root, helpdesk.app)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.aio import stop
from helpdesk.config import Settings
from helpdesk.desk.tickets import TicketStore
from helpdesk.mailbox.embedded import EmbeddedMailboxService
from helpdesk.mailbox.http_client import HttpMailboxService
from helpdesk.mailbox.mails import MailComposer
from helpdesk.mailbox.policy import PasswordPolicy
from helpdesk.mailbox.ratelimit import RateLimiter
from helpdesk.mailbox.reset import PasswordResets
from helpdesk.mailbox.service import MailboxService
from helpdesk.mailbox.sheets import SettingsSheets
from helpdesk.outbox import Outbox, Transport
from helpdesk.outbox.setup import sender_for
from helpdesk.templating import TEMPLATES_DIR


@dataclass(frozen=True)
class MailboxSide:
    mailboxes: MailboxService
    outbox: Outbox
    resets: PasswordResets
    sheets: SettingsSheets


@contextlib.asynccontextmanager
async def mailbox_side(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    tickets: TicketStore,
    service: MailboxService | None = None,
    transport: Transport | None = None,
) -> AsyncIterator[MailboxSide]:
    """The mailbox services, with the outbox sender running until the block ends.

    `service` and `transport` replace the configured ones (tests).
    """
    http: aiohttp.ClientSession | None = None
    mailboxes = service
    if mailboxes is None and settings.mailbox_service:
        http = aiohttp.ClientSession()
        mailboxes = HttpMailboxService(
            settings.mailbox_service, settings.mailbox_service_token, http
        )
    if mailboxes is None:
        mailboxes = EmbeddedMailboxService(sessions)
    outbox = Outbox(sessions)
    sender = sender_for(settings, outbox, transport)
    composer = MailComposer(TEMPLATES_DIR / "mail", settings.provider)
    resets = PasswordResets(
        mailboxes=mailboxes,
        outbox=outbox,
        limiter=RateLimiter(sessions),
        sessions=sessions,
        composer=composer,
        policy=PasswordPolicy(settings.provider.password_min_length),
        public_url=settings.public_url,
        link_ttl=timedelta(minutes=settings.reset_link_minutes),
        tickets=tickets,
    )
    sheets = SettingsSheets(
        mailboxes=mailboxes, outbox=outbox, composer=composer, public_url=settings.public_url
    )
    task = asyncio.create_task(sender.run(), name="outbox-sender")
    try:
        yield MailboxSide(mailboxes, outbox, resets, sheets)
    finally:
        await resets.drain()
        sender.request_stop()
        await stop(task, patience=10)
        if http is not None:
            await http.close()
