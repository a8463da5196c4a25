"""Per-ticket publish/subscribe between the sockets of one process.

The customer's chat socket and the staff console's socket of the same ticket meet here:
a staff message reaches the customer, a customer message reaches the staff, a takeover
tells the customer's socket that the bot must stay silent. One process only; several
nodes would put a Redis-backed object with the same two methods in its place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("helpdesk.chat")

Event = dict[str, Any]
Listener = Callable[[Event], Awaitable[None]]


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
