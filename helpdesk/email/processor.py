"""The spool processor: takes `new/` in arrival order, one message at a time.

A message leaves `new/` only once the responder has recorded it (and its answer) on a
ticket. A database that is down is a pause, not a loss: the processor waits and tries the
same message again. A message that cannot be recorded at all (a bug, a value the database
refuses) is moved aside, flagged, so that it never blocks the ones behind it. Handled
messages are kept a week in `cur/`, then removed (they may hold a password in clear).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from helpdesk.aio import wait_event
from helpdesk.email.responder import Handled
from helpdesk.email.spool import Spool, Spooled

log = logging.getLogger("helpdesk.email")

Handle = Callable[[bytes, Spooled], Awaitable[Handled]]
PRUNE_EVERY = 3600.0  # seconds between two prunings of the handled messages


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class SpoolProcessor:
    def __init__(
        self,
        spool: Spool,
        handle: Handle,
        *,
        idle_seconds: float = 30.0,
        max_backoff: float = 60.0,
        on_handled: Callable[[Handled], None] | None = None,
        keep_days: float = 7,
    ) -> None:
        self._spool = spool
        self._handle = handle
        self._idle = idle_seconds
        self._max_backoff = max_backoff
        self._on_handled = on_handled
        self._keep_seconds = keep_days * 24 * 3600
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._stopping = False

    def request_stop(self) -> None:
        """End `run` once the pass in progress is done (see helpdesk.aio.stop)."""
        self._stopping = True
        self._wake.set()

    def wake(self) -> None:
        """New mail is in `new/`: look now rather than at the next idle check."""
        self._wake.set()

    async def drain(self) -> int:
        """Handle every message now in `new/`; returns how many left it.

        Raises the transient error (database down...) that stopped it, if any.
        """
        async with self._lock:  # one pass at a time: a message is handled once
            done = 0
            for item in await asyncio.to_thread(self._spool.pending):
                claim = await asyncio.to_thread(self._spool.claim, item)
                if claim is None:
                    continue  # another processor has it, or already moved it
                try:
                    handled = await self._handle(claim.raw, item)
                except Exception as exc:
                    if _transient(exc):
                        claim.release()
                        raise
                    log.exception("message %s could not be recorded; moved aside", item.name)
                    await asyncio.to_thread(self._spool.done, claim, failed=True)
                    done += 1
                    continue
                except BaseException:
                    claim.release()
                    raise
                await asyncio.to_thread(self._spool.done, claim)
                done += 1
                if self._on_handled is not None:
                    self._on_handled(handled)
            return done

    async def run(self) -> None:
        """Process until asked to stop: on wake-up, and every `idle_seconds` regardless."""
        backoff = 1.0
        pruned = 0.0
        while not self._stopping:
            self._wake.clear()
            now = time.monotonic()
            if now - pruned > PRUNE_EVERY:
                pruned = now
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(self._spool.prune_cur, self._keep_seconds)
            try:
                await self.drain()
                backoff = 1.0
                wait = self._idle
            except Exception as exc:
                if not _transient(exc):  # pragma: no cover - drain only raises transient ones
                    raise
                log.warning("inbound mail paused (%s: %s); retrying in %.0f s",
                            type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "",
                            backoff)  # fmt: skip
                wait, backoff = backoff, min(backoff * 2, self._max_backoff)
            await wait_event(self._wake, wait)
