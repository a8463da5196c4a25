"""Wiring into the application: mailbox service, outbox sender, resets, sheets, pages, API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
from aiohttp import web

from helpdesk.aio import stop
from helpdesk.keys import SESSIONS, SETTINGS
from helpdesk.mailbox.api import SERVICE, mailbox_api
from helpdesk.mailbox.embedded import EmbeddedMailboxService
from helpdesk.mailbox.http_client import HttpMailboxService
from helpdesk.mailbox.keys import MAILBOXES, RESETS, SHEETS
from helpdesk.mailbox.mails import MailComposer
from helpdesk.mailbox.policy import PasswordPolicy
from helpdesk.mailbox.ratelimit import RateLimiter
from helpdesk.mailbox.reset import PasswordResets
from helpdesk.mailbox.service import MailboxService
from helpdesk.mailbox.sheets import SettingsSheets
from helpdesk.outbox import Outbox, Transport
from helpdesk.outbox.keys import OUTBOX
from helpdesk.outbox.setup import sender_for
from helpdesk.templating import TEMPLATES_DIR
from helpdesk.web import reset as reset_pages
from helpdesk.web import sheet as sheet_pages

API_PREFIX = "/api/mailbox"


def setup_mailbox(
    app: web.Application,
    *,
    service: MailboxService | None = None,
    transport: Transport | None = None,
) -> None:
    """Add the cleanup context, the reset pages and (when configured) the mailbox API.

    Call after the database context and before anything that uses `RESETS` or `OUTBOX`.
    `service` and `transport` replace the configured ones (tests).
    """
    settings = app[SETTINGS]
    api = None
    if settings.mailbox_api_token:
        api = mailbox_api(settings.mailbox_api_token)
        app.add_subapp(API_PREFIX, api)

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        sessions = app[SESSIONS]
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
        )
        app[MAILBOXES] = mailboxes
        app[OUTBOX] = outbox
        app[RESETS] = resets
        app[SHEETS] = SettingsSheets(
            mailboxes=mailboxes, outbox=outbox, composer=composer, public_url=settings.public_url
        )
        if api is not None:
            api[SERVICE] = mailboxes
        scrubber = reset_pages.install_scrubber()
        task = asyncio.create_task(sender.run(), name="outbox-sender")
        try:
            yield
        finally:
            await resets.drain()
            sender.request_stop()
            await stop(task, patience=10)
            reset_pages.remove_scrubber(scrubber)
            if http is not None:
                await http.close()

    app.cleanup_ctx.append(ctx)
    reset_pages.add_routes(app)
    sheet_pages.add_routes(app)
