"""Tables of the staff console: sessions, login throttling, settings, search terms, audit.

Also the indexes the queue and the transcript need on the shared tables (migration 0003).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.db.models import Base, BigId, OutboxMail, Ticket, UtcDateTime, utcnow


class StaffSession(Base):
    """A logged-in browser; the cookie holds the token, the table only its hash."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_staff_sessions_staff", "staff_id"),)


class LoginThrottle(Base):
    """Failed logins per account and per client address, for lock-outs."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ConsoleSetting(Base):
    """Settings staff change at run time (the retention period) and the indexer's cursor."""

    __tablename__ = "console_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TicketTerm(Base):
    """Inverted index of transcripts: one row per word per ticket.

    A plain table rather than FTS5 or tsvector so that SQLite and PostgreSQL share one
    schema and one query, and a ticket matches once however often it uses the word.
    """

    __tablename__ = "ticket_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )

    # The cascade from tickets (erasure, retention) and prefix checks look rows up by ticket.
    __table_args__ = (Index("ix_ticket_terms_ticket", "ticket_id", "term"),)


class ConsoleAudit(Base):
    """What staff did outside any ticket: erasures, purges, accounts, settings."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


# The queue walks one status at a time in (updated_at, id) order, optionally narrowed by
# one of these columns; retention finds old resolved tickets; the transcript shows the
# delivery of each answer and erasure removes a ticket's mail.
QUEUE_INDEXES = (
    Index("ix_tickets_status_intent_updated", Ticket.status, Ticket.intent, Ticket.updated_at),
    Index("ix_tickets_status_lang_updated", Ticket.status, Ticket.lang, Ticket.updated_at),
    Index("ix_tickets_status_channel_updated", Ticket.status, Ticket.channel, Ticket.updated_at),
    Index("ix_tickets_status_resolved", Ticket.status, Ticket.resolved_at),
    Index("ix_console_outbox_message", OutboxMail.message_id),
    Index("ix_console_outbox_ticket", OutboxMail.ticket_id),
)
