"""Staff console: sessions, login throttling, settings, transcript search terms, audit,
and the indexes of the ticket queue.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

INDEXES = [
    ("tickets", "ix_tickets_status_intent_updated", ["status", "intent", "updated_at"]),
    ("tickets", "ix_tickets_status_lang_updated", ["status", "lang", "updated_at"]),
    ("tickets", "ix_tickets_status_channel_updated", ["status", "channel", "updated_at"]),
    ("tickets", "ix_tickets_status_resolved", ["status", "resolved_at"]),
    ("outbox", "ix_console_outbox_message", ["message_id"]),
    ("outbox", "ix_console_outbox_ticket", ["ticket_id"]),
]


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", BigId, nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_staff_sessions_staff", "staff_sessions", ["staff_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "console_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "ticket_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("term", "ticket_id"),
    )
    op.create_index("ix_ticket_terms_ticket", "ticket_terms", ["ticket_id", "term"])
    op.create_table(
        "console_audit",
        sa.Column("id", BigId, nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("console_audit")
    op.drop_index("ix_ticket_terms_ticket", table_name="ticket_terms")
    op.drop_table("ticket_terms")
    op.drop_table("console_settings")
    op.drop_table("login_throttle")
    op.drop_index("ix_staff_sessions_staff", table_name="staff_sessions")
    op.drop_table("staff_sessions")
