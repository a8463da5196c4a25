"""SQLAlchemy models of the help desk store (tickets, transcripts, audit, staff, outbox).

The same models and migrations serve SQLite and PostgreSQL: only portable types,
JSON stored as JSON (JSONB on PostgreSQL), times as timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp, read back as an aware UTC datetime on every backend.

    PostgreSQL keeps the zone (timestamptz); SQLite keeps the UTC time without one, which
    SQLAlchemy hands back naive. Putting UTC back here spares every reader of a time from
    remembering to.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    # SQLAlchemy reads this class attribute; it is never mutated.
    type_annotation_map = {dict[str, Any]: JSONType}  # noqa: RUF012


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    WAITING_STAFF = "waiting_staff"
    RESOLVED = "resolved"


class Author(enum.StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    STAFF = "staff"
    SYSTEM = "system"


class Channel(enum.StrEnum):
    CHAT = "chat"
    EMAIL = "email"


class StaffRole(enum.StrEnum):
    ADMIN = "admin"
    AGENT = "agent"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Holder(enum.StrEnum):
    BOT = "bot"
    STAFF = "staff"


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # What a customer may quote to staff; never the conversation's resume token.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.OPEN)
    channel: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(500))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    # Who speaks for support in the conversation: the bot, or staff (a handover waiting
    # for anyone, or the staff member `assignee_id` who took it over). Read at every turn;
    # a bot turn commits only while it is still "bot" (see helpdesk.desk).
    holder: Mapped[str] = mapped_column(String(16), default="bot", server_default="bot")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_tickets_status_updated", "status", "updated_at"),
        Index("ix_tickets_customer_email", "customer_email"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    # What the bot understood and checked for this turn (intent, entities, check results).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Channel data: email Message-ID, In-Reply-To, delivery status, chat client id...
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")

    __table_args__ = (Index("ix_messages_ticket_created", "ticket_id", "created_at"),)


class TicketEvent(Base):
    """Audit trail: who did what to a ticket, and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(320))  # "bot", "system", "customer", staff email
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    __table_args__ = (Index("ix_ticket_events_ticket_created", "ticket_id", "created_at"),)


class OutboxMail(Base):
    """An email waiting to be (or already) handed to the relay; never deleted on failure."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    mail_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSONType)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The relay's answer to the message (its queue ID is in it): what staff quote to the
    # relay's operator when a customer says nothing arrived.
    relay_reply: Mapped[str | None] = mapped_column(String(500))
    # "host/pid" of the process holding a `sending` claim: a claim of a process that no
    # longer runs on this host is taken back at once instead of at the end of its lease.
    claimed_by: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class Conversation(Base):
    """Engine state of one conversation (chat session or email thread) on a ticket."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # sha256 of the customer's resume token: the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Bumped by every write of the state: a turn that read version n commits only if it is
    # still n (optimistic concurrency, on SQLite and PostgreSQL alike).
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_conversations_ticket", "ticket_id"),)
