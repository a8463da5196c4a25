"""Background loops stop when cancelled, even when the cancellation lands in the same loop
iteration as their wake-up (asyncio.wait_for on Python 3.11 swallowed it: a shutdown hung)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.aio import stop, wait_event, within
from helpdesk.db import session_factory
from helpdesk.db.models import OutboxMail, OutboxStatus
from helpdesk.outbox import Outbox, OutboxSender
from helpdesk.outbox.store import OutgoingMail


async def woken_then_cancelled(
    event: asyncio.Event, task: asyncio.Task[object], turns: int = 1
) -> None:
    """Set `event`, let the loop turn `turns` times, cancel `task`. With one turn, the
    cancellation arrives after wait_for's inner wait has finished but before `task` has
    run again: the window wait_for lost it in."""
    await asyncio.sleep(0.05)  # the task now waits on the event
    event.set()
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_wait_event_keeps_a_cancellation_that_comes_with_the_event(turns: int) -> None:
    event = asyncio.Event()

    async def loop() -> None:
        while True:  # as the background loops do: clear, work, wait
            event.clear()
            await asyncio.sleep(0)
            await wait_event(event, 30)

    task = asyncio.create_task(loop())
    await woken_then_cancelled(event, task, turns)
    await asyncio.wait({task}, timeout=2)
    assert task.cancelled()


async def test_wait_event_answers_set_or_timed_out() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    event.set()
    assert await wait_event(event, 0.01) is True


async def test_within_times_out_and_cancels_the_work() -> None:
    work = asyncio.ensure_future(asyncio.sleep(30))
    with pytest.raises(TimeoutError):
        await within(work, 0.01)
    assert work.cancelled()
    assert await within(asyncio.sleep(0, "done"), 1) == "done"


async def test_stop_cancels_again_a_task_that_swallows_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed == 3:
                    raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await stop(task, grace=5)
    assert task.cancelled() and swallowed == 3
    assert not caplog.records


async def test_stop_gives_up_after_the_grace_time(caplog: pytest.LogCaptureFixture) -> None:
    immortal = True

    async def ignores_cancellation() -> None:
        while immortal:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(30)

    task = asyncio.create_task(ignores_cancellation(), name="immortal")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, "helpdesk.aio"):
        await stop(task, grace=0.2)
    assert not task.done()
    assert "'immortal' did not stop within" in caplog.text
    immortal = False  # let the test's loop close
    task.cancel()
    await asyncio.wait({task})


async def test_stop_logs_the_error_a_task_ended_with(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise ValueError("boom")

    task = asyncio.create_task(broken(), name="broken")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, "helpdesk.aio"):
        await stop(task)
    assert "'broken' ended with an error" in caplog.text and "boom" in caplog.text
    caplog.clear()
    given_up = asyncio.create_task(broken(), name="given up")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, "helpdesk.aio"):
        await stop(given_up, log_errors=False)  # work abandoned on purpose: no error line
    assert given_up.done() and not caplog.records


async def test_stop_does_not_swallow_the_callers_cancellation() -> None:
    async def slow_to_stop() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.shield(asyncio.sleep(0.5))

    inner = asyncio.create_task(slow_to_stop())
    await asyncio.sleep(0)
    outer = asyncio.create_task(stop(inner))
    await asyncio.sleep(0.05)
    outer.cancel()
    await asyncio.wait({outer}, timeout=2)
    assert outer.cancelled()
    await asyncio.wait({inner}, timeout=2)


class NoTransport:
    """A transport nothing may be handed to (helpdesk.outbox.transport.Transport)."""

    async def send(self, mail: OutgoingMail) -> str:
        raise AssertionError("nothing is sent in this test")

    def describe(self) -> str:
        return "nowhere"

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[NoTransport]:
        yield self

    async def delivered(self, mail: OutgoingMail) -> bool | None:
        return None


@pytest.fixture
def engine(sqlite_engine: AsyncEngine) -> AsyncEngine:
    return sqlite_engine


async def test_outbox_sender_stops_when_woken_and_cancelled_together(engine: AsyncEngine) -> None:
    """The shutdown that hung: a mail is enqueued (the sender's wake-up) as the app stops."""
    outbox = Outbox(session_factory(engine))
    task = asyncio.create_task(OutboxSender(outbox, NoTransport(), poll=30).run())
    await asyncio.sleep(0.3)  # the sender has looked at the empty outbox and waits
    await woken_then_cancelled(outbox.wakeup, task)
    await asyncio.wait({task}, timeout=5)
    assert task.cancelled()


class HeldTransport(NoTransport):
    """A relay that takes each mail only when the test lets it."""

    def __init__(self) -> None:
        self.sending = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[list[str]] = []

    async def send(self, mail: OutgoingMail) -> str:
        self.sending.set()
        await self.release.wait()
        self.sent.append(mail.recipients)
        return "250 taken"

    def describe(self) -> str:
        return "held"


async def test_outbox_sender_asked_to_stop_finishes_the_mail_in_hand(engine: AsyncEngine) -> None:
    """At shutdown the sender ends after the delivery in progress (not in the middle of it,
    nor of the database call that records it)."""
    outbox = Outbox(session_factory(engine))
    transport = HeldTransport()
    sender = OutboxSender(outbox, transport, poll=30)
    task = asyncio.create_task(sender.run())
    await outbox.enqueue(mail_to("client@exemple.fr"))
    await asyncio.wait_for(transport.sending.wait(), 5)
    sender.request_stop()
    stopping = asyncio.create_task(stop(task, patience=5))
    await asyncio.sleep(0.2)
    assert not task.done()  # still delivering: not cancelled
    transport.release.set()
    await asyncio.wait_for(stopping, 10)
    assert task.done() and not task.cancelled() and task.exception() is None
    assert transport.sent == [["client@exemple.fr"]]
    async with session_factory(engine)() as session:
        [row] = list(await session.scalars(select(OutboxMail)))
    assert row.status == OutboxStatus.SENT


def mail_to(address: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "support@zindex.fr"
    msg["To"] = address
    msg["Subject"] = "Test"
    msg.set_content("Bonjour")
    return msg
