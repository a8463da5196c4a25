"""Mailbox store (mailboxes, one-time links) and rate-limit hits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mailboxes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("recovery_address", sa.String(length=320), nullable=True),
        sa.Column("server", sa.String(length=255), nullable=False),
        sa.Column("quota_bytes", sa.BigInteger(), nullable=True),
        sa.Column("usage_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )
    op.create_table(
        "mailbox_links",
        sa.Column("id", BigId, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("mailbox_id", BigId, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("context", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["mailbox_id"], ["mailboxes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("mailbox_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mailbox_links_mailbox", ["mailbox_id", "purpose", "created_at"], unique=False
        )

    op.create_table(
        "rate_hits",
        sa.Column("id", BigId, nullable=False),
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rate_hits", schema=None) as batch_op:
        batch_op.create_index("ix_rate_hits_bucket_created", ["bucket", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_hits_bucket_created")
    op.drop_table("rate_hits")
    with op.batch_alter_table("mailbox_links", schema=None) as batch_op:
        batch_op.drop_index("ix_mailbox_links_mailbox")
    op.drop_table("mailbox_links")
    op.drop_table("mailboxes")
