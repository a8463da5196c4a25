"""Waiting and stopping background tasks without losing a cancellation.

On Python 3.11, `asyncio.wait_for(event.wait(), t)` returns normally when the task is
cancelled in the same loop iteration as the event is set: the cancellation is swallowed
and a loop around it runs on, so `task.cancel(); await task` at shutdown never returns
(this hung a whole test run once). `contextlib.suppress(CancelledError)` around
`await task` has the same flaw: it also swallows a cancellation of the caller. The
background loops and their owners wait and stop through these helpers instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger("helpdesk.aio")


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` have passed; True when it is set.

    A cancellation always propagates (`asyncio.timeout` tells its own expiry apart from a
    cancellation from outside, which `wait_for` does not on 3.11).
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True


async def within(work: Awaitable[T], seconds: float) -> T:
    """`await work`, or TimeoutError after `seconds` (work is then cancelled)."""
    async with asyncio.timeout(seconds):
        return await work


async def stop(
    task: asyncio.Future[Any],
    grace: float = 10.0,
    *,
    patience: float = 0.0,
    log_errors: bool = True,
) -> None:
    """Cancel `task` and wait until it has ended, at most `grace` seconds.

    With `patience`, first give the task that long to end by itself (a loop asked to stop
    finishes its round of work: cancelled in the middle of a database call, it would leave
    aiosqlite's thread answering an event loop that may be closed by then). A task that
    swallows a cancellation is cancelled again until it ends. An exception it ended with
    is logged (unless `log_errors` is False: a piece of work given up), not raised: the
    caller is done with it. A cancellation of the caller itself propagates.
    """
    loop = asyncio.get_running_loop()
    if patience > 0 and not task.done():
        await asyncio.wait({task}, timeout=patience)
    deadline = loop.time() + grace
    while not task.done():
        task.cancel()
        left = deadline - loop.time()
        if left <= 0:
            log.error("background task %r did not stop within %.0f s", _name(task), grace)
            return
        # asyncio.wait neither raises the task's outcome nor cancels it when we are.
        await asyncio.wait({task}, timeout=min(left, 0.5))
    if not task.cancelled() and task.exception() is not None and log_errors:
        log.error("background task %r ended with an error", _name(task), exc_info=task.exception())


async def stop_all(
    tasks: list[asyncio.Task[Any]], grace: float = 10.0, *, patience: float = 0.0
) -> None:
    """`stop` every task of `tasks`, all at once."""
    await asyncio.gather(*(stop(task, grace, patience=patience) for task in tasks))


def _name(task: asyncio.Future[Any]) -> str:
    return task.get_name() if isinstance(task, asyncio.Task) else repr(task)
