"""Per-address limits of the chat: connections and hellos counted by address, memory bounded."""

from __future__ import annotations

from helpdesk.chat.limits import AddressGate, ChatLimits, address_key


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_hellos_refill_over_time() -> None:
    """A burst of hellos, then one every 60/rate seconds, per address."""
    clock = Clock()
    gate = AddressGate(ChatLimits(hello_burst=3, hellos_per_minute=6), clock)
    assert [gate.hello("a") for _ in range(4)] == [True, True, True, False]
    assert gate.hello("b")  # another address has its own bucket
    clock.now = 10.0
    assert gate.hello("a") and not gate.hello("a")


def test_resuming_is_counted_apart() -> None:
    """Resumes have their own, looser bucket: starting conversations does not use it up."""
    gate = AddressGate(ChatLimits(hello_burst=1, resume_burst=3))
    assert gate.hello("a") and not gate.hello("a")
    assert [gate.hello("a", resume=True) for _ in range(4)] == [True, True, True, False]


def test_connections_are_counted_until_they_close() -> None:
    """Open sockets per address are capped; a closed one frees its place."""
    gate = AddressGate(ChatLimits(connections_per_address=2))
    assert gate.connect("a") and gate.connect("a")
    assert not gate.connect("a")
    gate.disconnect("a")
    assert gate.connect("a")


def test_idle_addresses_are_forgotten() -> None:
    """Addresses with no socket and a full bucket are dropped once the table is full."""
    clock = Clock()
    limits = ChatLimits(tracked_addresses=10, hellos_per_minute=60, connections_per_address=2)
    gate = AddressGate(limits, clock)
    assert gate.connect("busy")
    for n in range(9):  # the table is full: 10 addresses
        gate.hello(f"10.0.0.{n}")
    clock.now = 60.0  # every bucket full again
    gate.hello("10.0.1.1")
    assert gate.tracked() == 2  # the busy one and the newcomer
    assert [gate.connect("busy"), gate.connect("busy")] == [True, False]  # still counted


def test_address_keys() -> None:
    """IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by their /64."""
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("2001:db8:1:2:3:4:5:6") == address_key("2001:db8:1:2:ffff::1")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key(None) == "unknown"
