"""The console's services, built once per application and reached through `CONSOLE`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from helpdesk.aio import stop_all, wait_event
from helpdesk.chat.ws import CHAT
from helpdesk.console.actions import TicketActions
from helpdesk.console.admin import Admin
from helpdesk.console.auth import Authenticator, SessionStore
from helpdesk.console.queue import TicketQueue
from helpdesk.console.search import SearchIndex
from helpdesk.console.texts import Texts
from helpdesk.console.transcript import TranscriptStore
from helpdesk.email.setup import EMAIL
from helpdesk.keys import SESSIONS, SETTINGS

log = logging.getLogger("helpdesk.console")

INDEX_EVERY = 30.0  # seconds between background catch-ups of the search index
PURGE_EVERY = 3600.0  # seconds between retention purges and expired-session clean-ups


@dataclass(frozen=True)
class Console:
    sessions: SessionStore
    auth: Authenticator
    index: SearchIndex
    queue: TicketQueue
    transcripts: TranscriptStore
    actions: TicketActions
    admin: Admin
    texts: Texts
    secure_cookies: bool


CONSOLE = web.AppKey("console", Console)


def console_context(
    texts: Texts, *, index_every: float = INDEX_EVERY, purge_every: float = PURGE_EVERY
) -> Callable[[web.Application], AsyncIterator[None]]:
    """cleanup_ctx: build the console over the app's database and chat hub, and run its
    housekeeping (search index, retention, expired sessions) while the app runs."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        sessions = app[SESSIONS]
        settings = app[SETTINGS]
        staff_sessions = SessionStore(sessions)
        index = SearchIndex(sessions)
        console = Console(
            sessions=staff_sessions,
            auth=Authenticator(sessions),
            index=index,
            queue=TicketQueue(sessions, index),
            transcripts=TranscriptStore(sessions),
            actions=TicketActions(
                sessions,
                app[CHAT].hub,
                texts,
                settings.provider,
                # The email channel starts after the console: its ids are looked up when a
                # mail is written.
                message_ids=lambda reference: app[EMAIL].ids.new(reference),
            ),
            admin=Admin(sessions, staff_sessions),
            texts=texts,
            secure_cookies=settings.public_url.startswith("https://"),
        )
        app[CONSOLE] = console
        stopping = asyncio.Event()
        tasks = [
            asyncio.create_task(_every(index_every, "search index", index.rescan, stopping)),
            asyncio.create_task(_every(purge_every, "retention", lambda: _tidy(console), stopping)),
        ]
        yield
        stopping.set()
        await stop_all(tasks, patience=10)

    return ctx


async def _tidy(console: Console) -> None:
    purged = await console.admin.purge("system")
    if purged:
        log.info("retention: purged %d resolved tickets", purged)
    await console.sessions.purge_expired()


async def _every(
    seconds: float, what: str, job: Callable[[], Awaitable[object]], stopping: asyncio.Event
) -> None:
    while not stopping.is_set():
        try:
            await job()
        except Exception:
            # Housekeeping must outlive a database hiccup; the next round retries.
            log.exception("console %s failed", what)
        await wait_event(stopping, seconds)
