"""Who holds a conversation is a fact on the ticket; conversation state gets a version.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("holder", sa.String(length=16), nullable=False, server_default="bot")
        )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    # Until now the hand-over lived in the conversation state ("handoff": true).
    conn = op.get_bind()
    held = set()
    for ticket_id, state in conn.execute(sa.text("SELECT ticket_id, state FROM conversations")):
        value = json.loads(state) if isinstance(state, str) else state
        if isinstance(value, dict) and value.get("handoff"):
            held.add(ticket_id)
    for ticket_id in held:
        conn.execute(
            sa.text("UPDATE tickets SET holder = 'staff' WHERE id = :id"), {"id": ticket_id}
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("holder")
