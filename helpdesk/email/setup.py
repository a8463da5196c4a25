"""The email channel, built by the composition root (helpdesk.app) over its engine.

Start-up: the spool directories, the processor (which first handles whatever a previous
run left in `new/`), then the SMTP listener and the IMAP fetcher when configured.
Shutdown in the reverse order: no new mail is taken, then the processor stops; a
message it was handling stays in `new/` for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.aio import stop
from helpdesk.config import Settings
from helpdesk.desk.inbound import InboundDesk
from helpdesk.email.compose import Composer
from helpdesk.email.conversation import MailConversation
from helpdesk.email.imap import ImapFetcher
from helpdesk.email.processor import SpoolProcessor
from helpdesk.email.responder import EmailResponder, Handled, RateLimits
from helpdesk.email.smtp import SmtpListener
from helpdesk.email.spool import Spool, Spooled
from helpdesk.email.store import EmailStore
from helpdesk.email.threads import MessageIds
from helpdesk.engine import Engine, Wording
from helpdesk.errors import UserError
from helpdesk.outbox import Outbox
from helpdesk.templating import TEMPLATES_DIR

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


@contextlib.asynccontextmanager
async def email_channel(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    engine: Engine,
    wording: Wording,
    desk: InboundDesk,
    ids: MessageIds,
    outbox: Outbox,
    limits: RateLimits | None = None,
) -> AsyncIterator[EmailChannel]:
    """The email responder over the given engine, running until the block ends."""
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
    except OSError as exc:
        raise UserError(f"cannot use the data dir {str(settings.data_dir)!r}: {exc}") from None
    responder = EmailResponder(
        conversation=MailConversation(engine),
        composer=Composer(wording, TEMPLATES_DIR / "email"),
        store=EmailStore(sessions, desk),
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
        return await responder.handle(raw, spool_name=item.name, truncated_size=item.truncated_size)

    def answered(handled: Handled) -> None:
        if handled.outbox_id is not None:
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
    tasks = [asyncio.create_task(processor.run(), name="email-processor")]
    if listener is not None:
        try:
            await listener.start()
        except OSError as exc:
            await stop(tasks[0])
            raise UserError(
                f"cannot listen for SMTP on {listener.host}:{listener.port}: {exc.strerror or exc}"
            ) from None
    if fetcher is not None:
        tasks.append(asyncio.create_task(fetcher.run(), name="email-imap"))
    try:
        yield EmailChannel(spool, processor, responder, ids, listener, fetcher)
    finally:
        if listener is not None:
            await listener.stop()
        for task in tasks[1:]:  # the fetcher: network reads, cancelled at once
            await stop(task)
        processor.request_stop()  # the message in hand is finished first
        await stop(tasks[0], patience=10)
