"""The IMAP fetcher: reads the support mailbox for providers who keep support as a mailbox.

Each unseen message is fetched without marking it (BODY.PEEK), written durably to the
spool, and only then flagged \\Seen: a crash in between fetches it again, and the
responder's Message-ID check makes that harmless. A message over the size limit is not
downloaded: its header is spooled with its size, and the customer gets a clear answer.
IDLE is used when the server offers it (re-issued every few minutes, as RFC 2177 asks),
polling otherwise. Connection problems are logged (never the password) and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aioimaplib import IMAP4, IMAP4_SSL

from helpdesk.aio import stop, wait_event, within
from helpdesk.config import ImapMailbox
from helpdesk.email.spool import Spool

log = logging.getLogger("helpdesk.email.imap")
T = TypeVar("T")

# RFC 2177 asks to re-issue IDLE within 29 minutes; sooner finds a silently dead peer.
IDLE_SECONDS = 5 * 60
_LITERAL = re.compile(rb"\{(\d+)\}$")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UID = re.compile(rb"UID (\d+)")


class ImapError(Exception):
    """The IMAP server refused something (login, mailbox); the message says what."""


def _literal(lines: list[bytes | bytearray]) -> bytes | None:
    """The first literal of a FETCH response (the message or header bytes)."""
    for index, line in enumerate(lines):
        if isinstance(line, bytes) and _LITERAL.search(line) and index + 1 < len(lines):
            data = lines[index + 1]
            if isinstance(data, bytearray | bytes):
                return bytes(data)
    return None


class ImapFetcher:
    def __init__(
        self,
        mailbox: ImapMailbox,
        *,
        spool: Spool,
        on_stored: Callable[[str], None],
        size_limit: int,
        poll_seconds: float = 60,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._box = mailbox
        self._spool = spool
        self._on_stored = on_stored
        self._size_limit = size_limit
        self._poll = poll_seconds
        self._ssl = ssl_context
        self._timeout = timeout
        self._idle = idle_seconds
        self.fetched = 0
        self.connected = asyncio.Event()

    def _where(self) -> str:
        return f"{self._box.username}@{self._box.host}:{self._box.port}/{self._box.mailbox}"

    async def run(self) -> None:
        """Fetch until cancelled, reconnecting with back-off after any failure."""
        backoff = 1.0
        while True:
            try:
                await self._session()
            except Exception as exc:  # any failure: say it, wait, reconnect
                self.connected.clear()
                detail = str(exc).splitlines()[0][:200] if str(exc) else ""
                log.warning(
                    "IMAP fetch from %s failed (%s: %s); retrying in %.0f s",
                    self._where(),
                    type(exc).__name__,
                    detail,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 300.0)
            else:
                backoff = 1.0

    async def _connect(self, lost: asyncio.Event) -> IMAP4:
        box = self._box
        client: IMAP4
        if box.implicit_tls:
            client = IMAP4_SSL(box.host, box.port, timeout=self._timeout, ssl_context=self._ssl)
        else:
            client = IMAP4(box.host, box.port, timeout=self._timeout)
        # aioimaplib does not wake a waiting IDLE when the connection drops: we listen.
        client.protocol.conn_lost_cb = lambda _exc: lost.set()
        await client.wait_hello_from_server()
        response = await client.login(box.username, box.password)
        if response.result != "OK":
            raise ImapError(f"login refused for {box.username}")
        response = await client.select(_quoted(box.mailbox))
        if response.result != "OK":
            raise ImapError(f"cannot open the mailbox {box.mailbox!r}")
        return client

    async def _session(self) -> None:
        lost = asyncio.Event()
        client = await self._connect(lost)
        self.connected.set()
        log.info("IMAP fetcher reading %s", self._where())
        try:
            while not lost.is_set():
                await _unless_lost(self.fetch_new(client), lost)
                if client.has_capability("IDLE"):
                    await self._wait_idle(client, lost)
                else:
                    if not await wait_event(lost, self._poll):
                        await _unless_lost(within(client.noop(), self._timeout), lost)
            raise ConnectionError("the IMAP server closed the connection")
        finally:
            self.connected.clear()
            if not lost.is_set():
                with contextlib.suppress(Exception):
                    await within(client.logout(), 5)

    async def _wait_idle(self, client: IMAP4, lost: asyncio.Event) -> None:
        idle = await client.idle_start(timeout=self._idle + 60)
        push = asyncio.ensure_future(client.wait_server_push(timeout=self._idle))
        dropped = asyncio.ensure_future(lost.wait())
        try:
            # Any push (EXISTS, EXPUNGE, FETCH) is a reason to look; so is the re-issue.
            await asyncio.wait({push, dropped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (push, dropped):
                if not task.done():
                    await stop(task, log_errors=False)
                    continue
                error = None if task.cancelled() else task.exception()
                # no push before the timeout is how a quiet IDLE round ends; other errors
                # (the connection) end the session, which the fetcher opens again
                if error is not None and not isinstance(error, TimeoutError):
                    raise error
            if lost.is_set():
                idle.cancel()
            else:
                client.idle_done()
                # The server may go away right after its push (a BYE): stop waiting then.
                with contextlib.suppress(TimeoutError, ConnectionError):
                    await _unless_lost(within(idle, self._timeout), lost)

    async def fetch_new(self, client: IMAP4) -> int:
        """Spool every unseen message, oldest first, then flag it seen; returns how many."""
        response = await client.uid_search("UNSEEN")
        if response.result != "OK":
            raise ImapError("SEARCH refused")
        uids = sorted({int(u) for line in response.lines[:-1] for u in line.split() if u.isdigit()})
        count = 0
        for uid in uids:
            if await self._fetch_one(client, str(uid)):
                count += 1
        return count

    async def _fetch_one(self, client: IMAP4, uid: str) -> bool:
        sized = await client.uid("fetch", uid, "(RFC822.SIZE)")
        match = next((_SIZE.search(bytes(x)) for x in sized.lines if _SIZE.search(bytes(x))), None)
        size = int(match.group(1)) if match else 0
        truncated = size > self._size_limit
        part = "BODY.PEEK[HEADER]" if truncated else "BODY.PEEK[]"
        fetched = await client.uid("fetch", uid, part)
        raw = _literal(fetched.lines) if fetched.result == "OK" else None
        if raw is None:
            log.warning("IMAP message uid %s vanished before it could be fetched", uid)
            return False
        name = await self._spool.store_async(raw, truncated_size=size if truncated else None)
        self._on_stored(name)
        # Only now: the message is durable in the spool.
        stored = await client.uid("store", uid, "+FLAGS.SILENT (\\Seen)")
        if stored.result != "OK":
            raise ImapError(f"cannot flag message uid {uid} as seen")
        self.fetched += 1
        return True


async def _unless_lost(work: Coroutine[Any, Any, T], lost: asyncio.Event) -> T:
    """`work`'s result, or ConnectionError as soon as the connection drops: aioimaplib
    leaves a command waiting for its own timeout when the server goes away."""
    task = asyncio.ensure_future(work)
    dropped = asyncio.ensure_future(lost.wait())
    try:
        await asyncio.wait({task, dropped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        dropped.cancel()
    if not task.done():
        await stop(task, log_errors=False)  # the command is given up with the connection
        raise ConnectionError("the IMAP server closed the connection")
    return task.result()


def _quoted(mailbox: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._/-]+", mailbox):
        return mailbox
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
