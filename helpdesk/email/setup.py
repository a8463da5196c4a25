"""Wiring the email responder into the application: one cleanup context.

Start-up: the spool directories, the signing key, the engine (the chat's flows, checks,
articles and password resets), the processor (which first handles whatever a previous
run left in `new/`), then the SMTP listener and the IMAP fetcher when configured.
Shutdown in the reverse order: no new mail is taken, then the processor stops; a
message it was handling stays in `new/` for the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from diagnostics.dns import Resolver
from diagnostics.resolver import DnsResolver
from helpdesk.aio import stop
from helpdesk.email.compose import Composer
from helpdesk.email.conversation import MailConversation
from helpdesk.email.imap import ImapFetcher
from helpdesk.email.key import signing_key
from helpdesk.email.processor import SpoolProcessor
from helpdesk.email.responder import EmailResponder, Handled, RateLimits
from helpdesk.email.smtp import SmtpListener
from helpdesk.email.spool import Spool, Spooled
from helpdesk.email.store import EmailStore
from helpdesk.email.threads import MessageIds
from helpdesk.engine import Engine, EngineDeps, Wording
from helpdesk.engine.checks import DiagnosticChecks
from helpdesk.errors import UserError
from helpdesk.kb_paths import KB_DIR
from helpdesk.keys import SESSIONS, SETTINGS, UNDERSTANDING
from helpdesk.mailbox.keys import RESETS
from helpdesk.outbox.keys import OUTBOX
from helpdesk.templating import TEMPLATES_DIR
from helpdesk.understanding import Understanding
from helpdesk.web.kb import KB

log = logging.getLogger("helpdesk.email")

SPOOL_NAME = "inbound"


@dataclass
class EmailChannel:
    """The running pieces, for the operator's tools and the tests."""

    spool: Spool
    processor: SpoolProcessor
    responder: EmailResponder
    ids: MessageIds
    listener: SmtpListener | None
    fetcher: ImapFetcher | None


EMAIL = web.AppKey("email", EmailChannel)


def setup_email(
    app: web.Application,
    *,
    understanding: Understanding | None = None,
    resolver: Resolver | None = None,
    limits: RateLimits | None = None,
) -> None:
    """Add the email responder's cleanup context. Call after the mailbox set-up (the
    outbox and the password resets) and the knowledge base."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        # At DEBUG these libraries log every line of every message, and mail bodies hold
        # what customers type (passwords included): never below INFO, whatever the level.
        for name, floor in (("mail.log", logging.INFO), ("aioimaplib", logging.WARNING)):
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.getEffectiveLevel(), floor))
        provider = settings.provider
        spool = Spool(settings.data_dir / SPOOL_NAME)
        try:
            await asyncio.to_thread(spool.create)
            await asyncio.to_thread(spool.clean_tmp)
            key = await asyncio.to_thread(signing_key, settings.secret_key, settings.data_dir)
        except OSError as exc:
            raise UserError(f"cannot use the data dir {str(settings.data_dir)!r}: {exc}") from None
        model = understanding or app.get(UNDERSTANDING)  # the chat's, when it has one
        if model is None:  # training takes about a second of CPU: off the loop
            model = await asyncio.to_thread(Understanding.load, KB_DIR)
        wording = Wording(TEMPLATES_DIR / "bot", provider)
        deps = EngineDeps(
            understanding=model,
            wording=wording,
            checks=DiagnosticChecks(resolver or DnsResolver(settings.dns_servers), provider),
            articles=app.get(KB),
            resets=app.get(RESETS),
        )
        ids = MessageIds(key, provider.support_address.rpartition("@")[2])
        responder = EmailResponder(
            conversation=MailConversation(Engine(deps), model, wording),
            composer=Composer(wording, TEMPLATES_DIR / "email"),
            store=EmailStore(app[SESSIONS]),
            ids=ids,
            timezone=provider.timezone,
            aliases=provider.support_aliases,
            limits=limits
            or RateLimits(
                per_ticket=settings.auto_answers_per_ticket,
                per_sender=settings.auto_answers_per_sender,
            ),
        )

        async def handle(raw: bytes, item: Spooled) -> Handled:
            return await responder.handle(
                raw, spool_name=item.name, truncated_size=item.truncated_size
            )

        outbox = app.get(OUTBOX)

        def answered(handled: Handled) -> None:
            if handled.outbox_id is not None and outbox is not None:
                outbox.wakeup.set()  # the sender goes at once rather than at its next poll

        processor = SpoolProcessor(spool, handle, on_handled=answered)
        size_limit = provider.message_size_limit_mb * 1024 * 1024
        listener = None
        if settings.smtp_listen is not None:
            host, port = settings.smtp_listen
            listener = SmtpListener(
                host,
                port,
                spool=spool,
                on_stored=lambda _name: processor.wake(),
                size_limit=size_limit,
                too_big_text=wording.say("en", "email.smtp.too_big"),
                unavailable_text=wording.say("en", "email.smtp.unavailable"),
            )
        fetcher = None
        if settings.imap_fetch is not None:
            fetcher = ImapFetcher(
                settings.imap_fetch,
                spool=spool,
                on_stored=lambda _name: processor.wake(),
                size_limit=size_limit,
                poll_seconds=settings.imap_poll_seconds,
            )
        app[EMAIL] = EmailChannel(spool, processor, responder, ids, listener, fetcher)
        tasks = [asyncio.create_task(processor.run(), name="email-processor")]
        if listener is not None:
            try:
                await listener.start()
            except OSError as exc:
                await stop(tasks[0])
                raise UserError(
                    f"cannot listen for SMTP on {listener.host}:{listener.port}: "
                    f"{exc.strerror or exc}"
                ) from None
        if fetcher is not None:
            tasks.append(asyncio.create_task(fetcher.run(), name="email-imap"))
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            for task in tasks[1:]:  # the fetcher: network reads, cancelled at once
                await stop(task)
            processor.request_stop()  # the message in hand is finished first
            await stop(tasks[0], patience=10)

    app.cleanup_ctx.append(ctx)
