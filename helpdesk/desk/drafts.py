"""A message as a channel hands it to the desk: plain values, stored by the desk alone.

A chat's opening is shown before anything is stored (its `frame_id` in `meta` names it on
the wire); the desk stores it with the customer's first message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpdesk.db.models import Message


@dataclass(frozen=True)
class Draft:
    author: str
    channel: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None

    def row(self, ticket_id: int) -> Message:
        """A new row of this message on the ticket (copies: a row is never shared)."""
        message = Message(
            ticket_id=ticket_id,
            author=self.author,
            channel=self.channel,
            body=self.body,
            payload=dict(self.payload),
            meta=dict(self.meta),
        )
        if self.created_at is not None:
            message.created_at = self.created_at
        return message
