"""Per-ticket publish/subscribe between the sockets of one process.

The customer's chat socket and the staff console's socket of the same ticket meet here:
a staff message reaches the customer, a customer message reaches the staff, a takeover
reaches the console. Events are channel-neutral: `{"kind": "message", "message":
message_view(m)}` and `{"kind": "handoff", "active": bool}`; each channel writes them in
its own wire format. One process only; several nodes would put a Redis-backed object
with the same two methods in its place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from helpdesk.db.models import Message
from helpdesk.desk.drafts import Draft

log = logging.getLogger("helpdesk.chat")

Event = dict[str, Any]
Listener = Callable[[Event], Awaitable[None]]


def message_view(message: Message | Draft) -> dict[str, Any]:
    """A message as the live channels show it: its id, author and text, and the quick
    replies, links, intent and client id it carries."""
    # An opening said before the conversation was stored keeps the id it was shown with.
    stored_id = message.id if isinstance(message, Message) else None
    view: dict[str, Any] = {
        "id": str(message.meta.get("frame_id") or stored_id),
        "from": message.author,
        "text": message.body,
    }
    for key in ("choices", "links", "intent", "client_id"):
        if message.meta.get(key):
            view[key] = message.meta[key]
    return view


def message_event(message: Message | Draft) -> Event:
    return {"kind": "message", "message": message_view(message)}


class ChatHub:
    """Listeners by ticket id; an event published on a ticket goes to each of them."""

    def __init__(self) -> None:
        self._listeners: dict[int, set[Listener]] = {}

    def subscribe(self, ticket_id: int, listener: Listener) -> Callable[[], None]:
        """Register `listener` for `ticket_id`'s events; returns the call that unregisters it."""
        self._listeners.setdefault(ticket_id, set()).add(listener)

        def unsubscribe() -> None:
            listeners = self._listeners.get(ticket_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[ticket_id]

        return unsubscribe

    def listeners(self, ticket_id: int) -> int:
        """How many sockets follow `ticket_id` right now."""
        return len(self._listeners.get(ticket_id, ()))

    async def publish(self, ticket_id: int, event: Event) -> None:
        """Deliver `event` to every listener of `ticket_id`; one failing listener (a socket
        closing under it) neither stops the others nor the publisher."""
        listeners = list(self._listeners.get(ticket_id, ()))
        if not listeners:
            return
        results = await asyncio.gather(*(lst(event) for lst in listeners), return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.warning("a listener of ticket %s failed: %r", ticket_id, result)
