"""The console's services, built once by the composition root (helpdesk.app)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.aio import stop_all, wait_event
from helpdesk.config import Settings
from helpdesk.console.actions import TicketActions
from helpdesk.console.admin import Admin
from helpdesk.console.auth import Authenticator, SessionStore
from helpdesk.console.queue import TicketQueue
from helpdesk.console.search import SearchIndex
from helpdesk.console.texts import Texts
from helpdesk.console.transcript import TranscriptStore
from helpdesk.desk.hub import ChatHub
from helpdesk.desk.staff import StaffDesk

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


@contextlib.asynccontextmanager
async def console_services(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    hub: ChatHub,
    texts: Texts,
    message_ids: Callable[[str], str],
    *,
    desk: StaffDesk,
    index_every: float = INDEX_EVERY,
    purge_every: float = PURGE_EVERY,
) -> AsyncIterator[Console]:
    """The console over the given database, chat hub and desk (which records what staff
    do), with its housekeeping (search index, retention, expired sessions) running until
    the block ends."""
    staff_sessions = SessionStore(sessions)
    index = SearchIndex(sessions)
    console = Console(
        sessions=staff_sessions,
        auth=Authenticator(sessions),
        index=index,
        queue=TicketQueue(sessions, index),
        transcripts=TranscriptStore(sessions),
        actions=TicketActions(desk, hub, texts, settings.provider, message_ids=message_ids),
        admin=Admin(sessions, staff_sessions),
        texts=texts,
        secure_cookies=settings.public_url.startswith("https://"),
    )
    stopping = asyncio.Event()
    tasks = [
        asyncio.create_task(_every(index_every, "search index", index.rescan, stopping)),
        asyncio.create_task(_every(purge_every, "retention", lambda: _tidy(console), stopping)),
    ]
    try:
        yield console
    finally:
        stopping.set()
        await stop_all(tasks, patience=10)


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
