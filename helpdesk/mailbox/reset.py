"""Password resets for any channel: request a link, check it, set the new password.

A request gets the same answer, in the same time, whether or not the mailbox exists or has
a recovery address: the caller's answer depends only on the per-client limit, and the
lookup, the link and the email happen afterwards in a background task. Every step is an
event on the ticket; the token is in no event and no log line.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import utcnow
from helpdesk.desk.tickets import TicketStore
from helpdesk.mailbox.mails import MailComposer
from helpdesk.mailbox.models import LinkPurpose
from helpdesk.mailbox.policy import PasswordPolicy
from helpdesk.mailbox.ratelimit import Limit, RateLimiter
from helpdesk.mailbox.service import (
    InvalidRequest,
    LinkCheck,
    LinkState,
    MailboxService,
    normalize_address,
)
from helpdesk.outbox import Outbox

log = logging.getLogger("helpdesk.mailbox.reset")

RATE_LIMITED = "rate_limited"


# Reset emails one mailbox may receive, whoever asks.
PER_MAILBOX = Limit("reset.mailbox", 3, timedelta(hours=1))
# Requests one client (conversation, IP address) may make, for any addresses.
PER_CLIENT = Limit("reset.client", 5, timedelta(hours=1))
# Requests from one network address across conversations: an office behind one address
# holds several people, so this is looser than the per-conversation limit.
PER_NETWORK = Limit("reset.network", 20, timedelta(hours=1))
# New-password submissions one client may make on the page (each costs an argon2 hash).
PAGE_PER_CLIENT = Limit("reset.page", 20, timedelta(hours=1))


@dataclass(frozen=True)
class ResetLimits:
    per_mailbox: Limit = PER_MAILBOX
    per_client: Limit = PER_CLIENT
    per_network: Limit = PER_NETWORK
    page_per_client: Limit = PAGE_PER_CLIENT


class RequestResult(enum.StrEnum):
    ACCEPTED = "accepted"  # the same for every address: maybe a link is on its way
    LIMITED = "limited"  # this client asked too often; nothing was looked up


@dataclass(frozen=True)
class Completion:
    """The outcome of a new-password submission."""

    state: LinkState  # VALID: the password was changed
    problems: list[str] = field(default_factory=list)  # policy codes, or RATE_LIMITED
    address: str | None = None
    lang: str | None = None

    @property
    def done(self) -> bool:
        return self.state == LinkState.VALID and not self.problems


def _context(reference: str | None, lang: str) -> str:
    return f"{reference or '-'} {lang}"


def parse_context(context: str | None) -> tuple[str | None, str | None]:
    """(ticket reference, language) stored with a link."""
    reference, _, lang = (context or "").partition(" ")
    return (reference if reference not in ("", "-") else None), (lang or None)


def mask(address: str) -> str:
    """`j***@gmail.com`: enough for staff to recognise, not to copy."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


class PasswordResets:
    def __init__(
        self,
        *,
        mailboxes: MailboxService,
        outbox: Outbox,
        limiter: RateLimiter,
        sessions: async_sessionmaker[AsyncSession],
        composer: MailComposer,
        policy: PasswordPolicy,
        public_url: str,
        link_ttl: timedelta,
        tickets: TicketStore,
        limits: ResetLimits | None = None,
    ) -> None:
        """`tickets`: the desk's ticket store, where the events of a reset go."""
        self._mailboxes = mailboxes
        self._outbox = outbox
        self._limiter = limiter
        self._tickets = tickets
        self._composer = composer
        self._policy = policy
        self._public_url = public_url.rstrip("/")
        self._ttl = link_ttl
        self._limits = limits or ResetLimits()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def link_minutes(self) -> int:
        return int(self._ttl.total_seconds() // 60)

    @property
    def policy(self) -> PasswordPolicy:
        return self._policy

    def link_for(self, token: str) -> str:
        # Always the configured public URL: never the Host of some request.
        return f"{self._public_url}/reset/{token}"

    # --- events

    async def _event(self, reference: str | None, kind: str, data: dict[str, Any]) -> int | None:
        return await self._tickets.add_event_for(reference, kind, "bot", data)

    # --- request

    async def request(
        self,
        address: str,
        *,
        client: str,
        lang: str,
        reference: str | None,
        open_ticket: Callable[[], Awaitable[str]] | None = None,
        network: str | None = None,
    ) -> RequestResult:
        """Ask for a reset link to the recovery address of `address`'s mailbox.

        `client` names who asks (`conversation:HD-…`, `ip:192.0.2.1`) for the rate limit;
        `reference` is the ticket the events go to, or else `open_ticket` makes one once
        the request passes the client's limit.
        """
        shown = address.strip()[:320]
        if not await self._limiter.hit(self._limits.per_client, client):
            await self._event(reference, "password_reset.limited", {"scope": "client"})
            return RequestResult.LIMITED
        # `network` (the IP address) keeps new conversations from getting round `client`.
        if network and not await self._limiter.hit(self._limits.per_network, network):
            await self._event(reference, "password_reset.limited", {"scope": "network"})
            return RequestResult.LIMITED
        if reference is None and open_ticket is not None:
            reference = await open_ticket()
        await self._event(reference, "password_reset.requested", {"address": shown})
        task = asyncio.create_task(self._issue(shown, lang, reference))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return RequestResult.ACCEPTED

    async def drain(self) -> None:
        """Wait for the requests still being processed (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _not_sent(self, reference: str | None, address: str, reason: str) -> None:
        await self._event(
            reference, "password_reset.not_sent", {"address": address, "reason": reason}
        )

    async def _issue(self, address: str, lang: str, reference: str | None) -> None:
        try:
            await self._issue_unguarded(address, lang, reference)
        except Exception:
            # The customer already has their answer; staff see the failure on the ticket.
            log.exception("password reset request on ticket %s failed", reference or "-")
            try:
                await self._not_sent(reference, address, "error")
            except Exception:
                log.exception("cannot record the failure on ticket %s", reference or "-")

    async def _issue_unguarded(self, address: str, lang: str, reference: str | None) -> None:
        try:
            normalized = normalize_address(address)
        except InvalidRequest:
            await self._not_sent(reference, address, "not_an_address")
            return
        if not await self._limiter.hit(self._limits.per_mailbox, normalized):
            await self._not_sent(reference, normalized, "mailbox_rate_limited")
            return
        mailbox = await self._mailboxes.get(normalized)
        if mailbox is None:
            await self._not_sent(reference, normalized, "unknown_mailbox")
            return
        if not mailbox.recovery_address:
            await self._not_sent(reference, normalized, "no_recovery_address")
            return
        if not mailbox.active_at(utcnow()):
            await self._not_sent(reference, normalized, "suspended")
            return
        link = await self._mailboxes.issue_link(
            normalized, LinkPurpose.RESET, self._ttl, _context(reference, lang)
        )
        if link is None:  # deleted in between
            await self._not_sent(reference, normalized, "unknown_mailbox")
            return
        message = self._composer.compose(
            "reset_link",
            lang,
            to=mailbox.recovery_address,
            address=normalized,
            link=self.link_for(link.token),
            minutes=self.link_minutes,
            reference=reference,
        )
        ticket_id = await self._tickets.id_of(reference)
        await self._outbox.enqueue(message, ticket_id=ticket_id, sensitive=True)
        await self._event(
            reference,
            "password_reset.link_queued",
            {
                "address": normalized,
                "recovery": mask(mailbox.recovery_address),
                "expires_at": link.expires_at.isoformat(),
            },
        )

    # --- the page

    async def check(self, token: str) -> LinkCheck:
        """What the link is worth; consumes nothing (link scanners fetch pages too)."""
        return await self._mailboxes.check_link(token, LinkPurpose.RESET)

    async def refused(self, check: LinkCheck, step: str) -> None:
        """Record on its ticket that a link was refused (expired, used, voided)."""
        reference, _ = parse_context(check.context)
        if reference:
            await self._event(
                reference, "password_reset.failed", {"reason": check.state.value, "step": step}
            )

    async def complete(self, token: str, password: str, confirm: str, *, client: str) -> Completion:
        """Set the new password through a valid link, if it meets the policy."""
        limited = not await self._limiter.hit(self._limits.page_per_client, client)
        check = await self.check(token)
        reference, lang = parse_context(check.context)
        address = check.mailbox.address if check.mailbox else None
        if not check.ok:
            await self.refused(check, "submit")
            return Completion(check.state, [], address, lang)
        if limited:  # before the policy and the hash: each submission costs an argon2 hash
            return Completion(LinkState.VALID, [RATE_LIMITED], address, lang)
        problems = self._policy.problems(password, address or "", confirm)
        if problems:
            await self._event(
                reference, "password_reset.failed", {"reason": "policy", "problems": problems}
            )
            return Completion(LinkState.VALID, problems, address, lang)
        done = await self._mailboxes.reset_password(token, password)
        if not done.ok or done.mailbox is None:
            await self.refused(done, "submit")
            return Completion(done.state, [], address, lang)
        mailbox = done.mailbox
        await self._event(reference, "password_reset.used", {"address": mailbox.address})
        await self._notify(mailbox.address, mailbox.recovery_address, lang or "fr", reference)
        return Completion(LinkState.VALID, [], mailbox.address, lang)

    async def _notify(
        self, address: str, recovery: str | None, lang: str, reference: str | None
    ) -> None:
        when = utcnow()
        ticket_id = await self._tickets.id_of(reference)
        for to in dict.fromkeys([a for a in (recovery, address) if a]):
            message = self._composer.compose(
                "password_changed",
                lang,
                to=to,
                address=address,
                when=_when(when, lang),
                reference=reference,
            )
            await self._outbox.enqueue(message, ticket_id=ticket_id)


def _when(moment: datetime, lang: str) -> str:
    return moment.strftime("%d/%m/%Y à %H:%M" if lang == "fr" else "%Y-%m-%d at %H:%M")
