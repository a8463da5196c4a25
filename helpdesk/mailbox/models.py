"""Tables of the embedded mailbox store, and the help desk's record of reset requests.

`mailboxes` is laid out so that a provider can point Dovecot's SQL passdb at it: the
address is the user name and `password_hash` carries its scheme prefix (`{ARGON2ID}…`).
Only `helpdesk.mailbox.embedded` reads or writes `mailboxes` and `mailbox_links`; the rest
of the help desk goes through the `MailboxService` interface.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.db.models import Base, BigId, UtcDateTime, utcnow


class MailboxStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class LinkPurpose(enum.StrEnum):
    RESET = "reset"  # set a new password
    SETTINGS = "settings"  # the account's client settings sheet


class MailboxRow(Base):
    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # lower case
    label: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    recovery_address: Mapped[str | None] = mapped_column(String(320))
    server: Mapped[str] = mapped_column(String(255))
    quota_bytes: Mapped[int | None] = mapped_column(BigInteger)  # None: no quota
    usage_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default=MailboxStatus.ACTIVE)
    suspended_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class MailboxLink(Base):
    """A one-time link: only the sha256 of its token is stored."""

    __tablename__ = "mailbox_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    # Opaque to the store: the caller's reference (a ticket) returned when the link is used.
    context: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_mailbox_links_mailbox", "mailbox_id", "purpose", "created_at"),)


class RateHit(Base):
    """One counted action (a reset request) under a rate-limit key; old rows are pruned.

    Kept in the database so that every app process sees the same counts.
    """

    __tablename__ = "rate_hits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # sha256 of "<scope>:<key>": addresses and IP addresses are not kept in clear here.
    bucket: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (Index("ix_rate_hits_bucket_created", "bucket", "created_at"),)
