"""The per-ticket hub: events reach the listeners of their ticket, and only them."""

from __future__ import annotations

from typing import Any

from helpdesk.desk.hub import ChatHub


async def test_publish_reaches_the_listeners_of_the_ticket_only() -> None:
    """An event on ticket 1 reaches ticket 1's listeners, not ticket 2's."""
    hub = ChatHub()
    got: dict[str, list[dict[str, Any]]] = {"a": [], "b": [], "c": []}

    def collect(name: str) -> Any:
        async def listener(event: dict[str, Any]) -> None:
            got[name].append(event)

        return listener

    hub.subscribe(1, collect("a"))
    hub.subscribe(1, collect("b"))
    hub.subscribe(2, collect("c"))
    await hub.publish(1, {"kind": "x"})
    assert got == {"a": [{"kind": "x"}], "b": [{"kind": "x"}], "c": []}


async def test_unsubscribe_and_failing_listeners() -> None:
    """An unsubscribed listener hears nothing; a failing one does not stop the others."""
    hub = ChatHub()
    heard: list[dict[str, Any]] = []

    async def broken(event: dict[str, Any]) -> None:
        raise ConnectionResetError("socket closed")

    async def good(event: dict[str, Any]) -> None:
        heard.append(event)

    hub.subscribe(7, broken)
    stop = hub.subscribe(7, good)
    await hub.publish(7, {"n": 1})
    stop()
    await hub.publish(7, {"n": 2})
    assert heard == [{"n": 1}]
    assert hub.listeners(7) == 1
