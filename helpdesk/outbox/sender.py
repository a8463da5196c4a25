"""The background sender: drains the outbox to the transport, retrying with back-off."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from helpdesk.aio import wait_event
from helpdesk.db.models import utcnow
from helpdesk.outbox.journal import HandoverJournal
from helpdesk.outbox.store import Outbox, OutgoingMail
from helpdesk.outbox.transport import Delivery, PermanentError, TransientError, Transport

log = logging.getLogger("helpdesk.outbox")


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt n+1: `first` doubled each time, at most `longest`, ±10 %."""

    first: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)
    # After this long in the queue a mail is marked failed (as an MTA bounces after days).
    give_up_after: timedelta = timedelta(days=5)

    def delay(self, attempts: int) -> timedelta:
        base: timedelta = min(self.first * (2 ** max(attempts - 1, 0)), self.longest)
        return base * random.uniform(0.9, 1.1)


class OutboxSender:
    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        *,
        backoff: Backoff | None = None,
        batch: int = 20,
        lease: timedelta = timedelta(minutes=5),
        poll: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
        journal: HandoverJournal | None = None,
    ) -> None:
        """`journal`: where relay acceptances are noted before their commit (see
        helpdesk.outbox.journal); without one, a crash in that window resends the mail."""
        self._outbox = outbox
        self._journal = journal
        self._transport = transport
        self._backoff = backoff or Backoff()
        self._batch = batch
        self._lease = lease
        # Other processes enqueue too: look at the table at least this often (seconds).
        self._poll = poll
        self._clock = clock
        self._stopping = False

    def request_stop(self) -> None:
        """End `run` once the round in progress is done (see helpdesk.aio.stop)."""
        self._stopping = True
        self._outbox.wakeup.set()

    async def _deliver(self, delivery: Delivery, mail: OutgoingMail) -> None:
        """Hand over one mail and record its outcome; no error of one mail reaches another."""
        via = self._transport.describe()
        try:
            if mail.interrupted:
                earlier = await self._handed_over(mail)
                if earlier is not None:
                    log.info("outbox mail %d was handed over before an interruption", mail.id)
                    await self._outbox.sent(mail, via, earlier)
                    return
            reply = await delivery.send(mail)
        except PermanentError as exc:
            log.warning("outbox mail %d refused by %s: %s", mail.id, via, exc)
            await self._outbox.failed(mail, str(exc))
            return
        except Exception as exc:
            # Anything else (a bug, an encoding error in a library) is this mail's problem:
            # it waits like a relay outage, with the cause on record, and the batch goes on.
            error = str(exc)
            if not isinstance(exc, TransientError):
                log.exception("outbox mail %d: unexpected error via %s", mail.id, via)
                error = f"{type(exc).__name__}: {exc}"
            await self._postpone(mail, error, via)
            return
        self._note_handover(mail, reply)
        log.info("outbox mail %d sent via %s: %s", mail.id, via, reply)
        await self._outbox.sent(mail, via, reply)

    def _note_handover(self, mail: OutgoingMail, reply: str) -> None:
        """Write the relay's 250 to the journal at once, before anything else can be
        interrupted (see helpdesk.outbox.journal). The mail is sent whatever happens here:
        a journal that cannot be written only loses the protection against a crash."""
        if self._journal is None:
            return
        try:
            self._journal.record(mail.id, reply)
        except OSError as exc:
            log.warning("outbox mail %d: hand-over journal not written: %s", mail.id, exc)

    async def _handed_over(self, mail: OutgoingMail) -> str | None:
        """The relay's answer when an interrupted attempt did hand `mail` over."""
        if self._journal is not None:
            reply = await asyncio.to_thread(self._journal.reply, mail.id)
            if reply is not None:
                return reply
        if await self._transport.delivered(mail):
            return "found at the destination after an interrupted attempt"
        return None

    async def _postpone(self, mail: OutgoingMail, error: str, via: str) -> None:
        age = self._clock() - mail.created_at
        if age >= self._backoff.give_up_after:
            log.warning("outbox mail %d given up after %s: %s", mail.id, age, error)
            await self._outbox.failed(mail, f"given up after {mail.attempts} attempts: {error}")
            return
        delay = self._backoff.delay(mail.attempts)
        log.warning(
            "outbox mail %d not sent via %s (attempt %d), next try in %ds: %s",
            mail.id,
            via,
            mail.attempts,
            delay.total_seconds(),
            error,
        )
        await self._outbox.retry(mail, error, delay)

    async def _give_up_expired(self) -> None:
        for mail in await self._outbox.expired(self._backoff.give_up_after):
            log.warning("outbox mail %d given up: queued since %s", mail.id, mail.created_at)
            await self._outbox.failed(
                mail, f"given up after {mail.attempts} attempts: queued too long"
            )

    async def run_once(self) -> int:
        """Send what is due now; returns how many mails were tried."""
        await self._give_up_expired()
        tried = 0
        while True:
            mails = await self._outbox.claim(self._batch, self._lease)
            if mails:
                async with self._transport.batch() as delivery:
                    for mail in mails:
                        await self._deliver(delivery, mail)
                if self._journal is not None:
                    await asyncio.to_thread(self._journal.clear)
            tried += len(mails)
            if len(mails) < self._batch or self._stopping:
                return tried

    async def _sleep_time(self) -> float:
        due = await self._outbox.next_due()
        if due is None:
            return self._poll
        wait = due - self._clock()
        return min(max(wait.total_seconds(), 0.05), self._poll)

    async def run(self) -> None:
        """Send until asked to stop: at once on enqueue, when a retry is due, and every
        `poll` seconds."""
        while not self._stopping:
            self._outbox.wakeup.clear()
            try:
                await self.run_once()
                wait = await self._sleep_time()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not stop the sender: log it and try again later.
                log.exception("outbox sender failed; retrying in %ss", self._poll)
                wait = self._poll
            await wait_event(self._outbox.wakeup, wait)
