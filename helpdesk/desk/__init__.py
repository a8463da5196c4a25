"""The desk: the owner of tickets, their messages, events and conversations.

What changes a ticket's status or who holds its conversation goes through here, so that
the rules (the `ticket.status` event written once, `resolved_at` set on resolving and
cleared otherwise, the conversations' versions moving with their holder) hold whichever
channel or staff action writes.
"""

from helpdesk.desk.status import change_status

__all__ = ["change_status"]
