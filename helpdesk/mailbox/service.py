"""The mailbox service interface: what the help desk may ask of a provider's mail system.

Two implementations: `EmbeddedMailboxService` (SQL store, the default) and
`HttpMailboxService` (a provider's own system speaking the API of `helpdesk.mailbox.api`).
Both pass the same contract tests. Expected outcomes (no such mailbox, an expired link) are
values; the exceptions below are for requests that cannot be carried out as asked.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from helpdesk.mailbox.models import LinkPurpose, MailboxStatus

ADDRESS = re.compile(r"^[^@\s\"<>(),;:\\\[\]]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")
MAX_PASSWORD_CHARS = 1024
MAX_LABEL_CHARS = 200


class MailboxError(Exception):
    """Base of the errors below; the message is one line an operator can act on."""


class InvalidRequest(MailboxError):
    """A value was refused (bad address, empty password...); the message says which."""


class MailboxExists(MailboxError):
    """`create` was asked for an address that already has a mailbox."""


class MailboxNotFound(MailboxError):
    """The address names no mailbox (for operations that need one)."""


class ServiceUnavailable(MailboxError):
    """The mailbox service could not be reached or answered out of contract."""


def normalize_address(address: str) -> str:
    """`address` trimmed and lower-cased; raises InvalidRequest when it is not one."""
    if not isinstance(address, str):
        raise InvalidRequest("an address must be a string")
    text = address.strip().lower()
    if len(text) > 320 or not ADDRESS.match(text):
        raise InvalidRequest(f"not an email address: {address[:100]!r}")
    return text


def check_password_value(password: str) -> None:
    """The few rules every store needs (the provider's policy is checked by the caller)."""
    if not isinstance(password, str) or not password:
        raise InvalidRequest("the password must not be empty")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidRequest(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise InvalidRequest("the password must not contain control characters")


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: every time in the store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: Any) -> datetime | None:
    return aware(datetime.fromisoformat(value)) if isinstance(value, str) else None


@dataclass(frozen=True)
class NewMailbox:
    address: str
    password: str
    recovery_address: str | None
    server: str
    quota_bytes: int | None = None
    label: str = ""

    def __repr__(self) -> str:  # never show the password
        return f"NewMailbox(address={self.address!r}, server={self.server!r})"


@dataclass(frozen=True)
class Mailbox:
    address: str
    label: str
    recovery_address: str | None
    server: str
    quota_bytes: int | None
    usage_bytes: int
    status: str  # MailboxStatus
    suspended_until: datetime | None
    password_changed_at: datetime
    created_at: datetime

    def active_at(self, now: datetime) -> bool:
        """Not suspended, or the suspension has ended by `now`."""
        if self.status != MailboxStatus.SUSPENDED:
            return True
        return self.suspended_until is not None and self.suspended_until <= now

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "label": self.label,
            "recovery_address": self.recovery_address,
            "server": self.server,
            "quota_bytes": self.quota_bytes,
            "usage_bytes": self.usage_bytes,
            "status": self.status,
            "suspended_until": _iso(self.suspended_until),
            "password_changed_at": _iso(self.password_changed_at),
            "created_at": _iso(self.created_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mailbox:
        changed, created = _time(data["password_changed_at"]), _time(data["created_at"])
        if changed is None or created is None:
            raise ValueError("missing times")
        return cls(
            address=str(data["address"]),
            label=str(data.get("label") or ""),
            recovery_address=data.get("recovery_address"),
            server=str(data["server"]),
            quota_bytes=data.get("quota_bytes"),
            usage_bytes=int(data.get("usage_bytes") or 0),
            status=str(data["status"]),
            suspended_until=_time(data.get("suspended_until")),
            password_changed_at=changed,
            created_at=created,
        )


@dataclass(frozen=True)
class IssuedLink:
    """A new one-time link. `token` exists only here: the store keeps its hash."""

    token: str
    purpose: str
    expires_at: datetime
    mailbox: Mailbox

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"IssuedLink(purpose={self.purpose!r}, address={self.mailbox.address!r})"


class LinkState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    VOIDED = "voided"  # the password changed after the link was issued
    UNKNOWN = "unknown"  # no such token, or a token of another purpose


@dataclass(frozen=True)
class LinkCheck:
    """What a token is worth now; `mailbox` and `context` only when the token is known."""

    state: LinkState
    purpose: str | None = None
    mailbox: Mailbox | None = None
    context: str | None = None
    expires_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.state == LinkState.VALID

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "purpose": self.purpose,
            "mailbox": self.mailbox.to_json() if self.mailbox else None,
            "context": self.context,
            "expires_at": _iso(self.expires_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkCheck:
        mailbox = data.get("mailbox")
        return cls(
            state=LinkState(data["state"]),
            purpose=data.get("purpose"),
            mailbox=Mailbox.from_json(mailbox) if isinstance(mailbox, dict) else None,
            context=data.get("context"),
            expires_at=_time(data.get("expires_at")),
        )


def check_purpose(purpose: str) -> str:
    if purpose not in {p.value for p in LinkPurpose}:
        raise InvalidRequest(f"unknown link purpose {purpose!r}")
    return purpose


class MailboxService(Protocol):
    """Every operation is atomic; addresses are compared case-insensitively."""

    async def create(self, new: NewMailbox) -> Mailbox:
        """Store a new mailbox. Raises MailboxExists, InvalidRequest."""
        ...

    async def get(self, address: str) -> Mailbox | None: ...

    async def list(self) -> list[Mailbox]:
        """Every mailbox, by address."""
        ...

    async def set_password(self, address: str, password: str) -> Mailbox:
        """Set the password and void every unused reset link of the mailbox."""
        ...

    async def suspend(self, address: str, until: datetime | None) -> Mailbox:
        """Suspend until `until` (None: until resumed)."""
        ...

    async def resume(self, address: str) -> Mailbox: ...

    async def issue_link(
        self, address: str, purpose: str, ttl: timedelta, context: str | None = None
    ) -> IssuedLink | None:
        """A new one-time link for the mailbox, or None when there is no such mailbox."""
        ...

    async def check_link(self, token: str, purpose: str) -> LinkCheck:
        """What `token` is worth for `purpose`; consumes nothing."""
        ...

    async def use_link(self, token: str, purpose: str) -> LinkCheck:
        """Consume a valid link (state VALID means this call used it)."""
        ...

    async def reset_password(self, token: str, password: str) -> LinkCheck:
        """Consume a valid reset link and set the password, in one transaction.

        VALID means the password was changed; any other state means nothing changed.
        """
        ...
