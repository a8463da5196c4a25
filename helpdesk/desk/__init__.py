"""The desk: the owner of tickets, their messages, events and conversations.

Nothing else writes them. Its verbs are the help desk's: open a conversation, a
customer's turn, the bot's reply (`ConversationStore`), take over, hand back, a staff
reply, a note, resolve, reopen, an answer or transcript by email (`StaffDesk`), a received
email (`InboundDesk`), erase (`helpdesk.desk.erase`). Each is one transaction that
records its event once, and the rules hold whichever channel or staff action writes: the
`ticket.status` event written once, `resolved_at` set on resolving and cleared otherwise,
who holds the conversation and the conversations' versions moving together.

Where a writer must commit with a row of its own (the outbox's delivery outcome, the
console's audit of an erasure), the desk offers a function over the caller's session.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.desk.conversations import ConversationStore
from helpdesk.desk.inbound import InboundDesk
from helpdesk.desk.staff import StaffDesk
from helpdesk.desk.status import change_status
from helpdesk.desk.tickets import TicketStore


@dataclass(frozen=True)
class Desk:
    """The desk's services over one database, built once by the composition root."""

    tickets: TicketStore
    conversations: ConversationStore
    staff: StaffDesk
    inbound: InboundDesk

    @classmethod
    def over(cls, sessions: async_sessionmaker[AsyncSession]) -> Desk:
        tickets = TicketStore(sessions)
        return cls(
            tickets=tickets,
            conversations=ConversationStore(sessions, tickets),
            staff=StaffDesk(sessions),
            inbound=InboundDesk(sessions),
        )


__all__ = [
    "ConversationStore",
    "Desk",
    "InboundDesk",
    "StaffDesk",
    "TicketStore",
    "change_status",
]
