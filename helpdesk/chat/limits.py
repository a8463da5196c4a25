"""Limits of the chat websocket: per connection (messages) and per client address
(open connections, and conversations started or resumed), so that one address can neither
flood the staff queue nor hold the server's sockets.

One process only, like the hub: several nodes would count in Redis instead.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ChatLimits:
    # A whole pasted bounce fits; a 100 kB paste does not (error.too_long).
    max_text_chars: int = 50_000
    # Larger frames are refused by aiohttp itself, which closes with 1009 (RFC 6455 7.4.1).
    max_frame_bytes: int = 1024 * 1024
    message_burst: int = 8  # messages one connection may send at once ...
    messages_per_second: float = 1.0  # ... then one a second
    # A customer with a few tabs, reloads and reconnections stays far below these; an
    # office behind one address, whose staff resume their conversations on every page of
    # the provider's site, gets more room for resuming than for starting.
    hello_burst: int = 20  # new conversations one address may start at once ...
    hellos_per_minute: float = 20.0  # ... then this many a minute
    resume_burst: int = 60  # hellos resuming a conversation (a token we issued) at once ...
    resumes_per_minute: float = 60.0  # ... then this many a minute
    connections_per_address: int = 50  # open websockets at the same time
    # Idle addresses are forgotten past this many, so that the table stays small.
    tracked_addresses: int = 10_000


class TokenBucket:
    def __init__(
        self, capacity: float, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity, self.rate, self.clock = capacity, rate, clock
        self.tokens, self.stamp = capacity, clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def full(self) -> bool:
        self._refill()
        return self.tokens >= self.capacity


def address_key(remote: str | None) -> str:
    """What the limits count by: the IPv4 address, or the /64 of an IPv6 one (a single
    customer line gets a whole /64, so counting its addresses one by one would not hold)."""
    if not remote:
        return "unknown"
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class _Address:
    __slots__ = ("connections", "hellos", "resumes")

    def __init__(self, hellos: TokenBucket, resumes: TokenBucket) -> None:
        self.connections = 0
        self.hellos = hellos
        self.resumes = resumes

    def idle(self) -> bool:
        return not self.connections and self.hellos.full() and self.resumes.full()


class AddressGate:
    """Open connections and hellos counted by client address."""

    def __init__(
        self, limits: ChatLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or ChatLimits()
        self._clock = clock
        self._addresses: dict[str, _Address] = {}
        self._prune_above = self.limits.tracked_addresses

    def _entry(self, key: str) -> _Address:
        entry = self._addresses.get(key)
        if entry is None:
            if len(self._addresses) >= self._prune_above:
                self._prune()
            limits, clock = self.limits, self._clock
            entry = self._addresses[key] = _Address(
                TokenBucket(limits.hello_burst, limits.hellos_per_minute / 60, clock),
                TokenBucket(limits.resume_burst, limits.resumes_per_minute / 60, clock),
            )
        return entry

    def _prune(self) -> None:
        # Forget addresses with no socket and full buckets: they are as if never seen.
        # Pruning again only once the table has doubled keeps each call O(1) on average.
        for key in [k for k, e in self._addresses.items() if e.idle()]:
            del self._addresses[key]
        self._prune_above = max(self.limits.tracked_addresses, 2 * len(self._addresses))

    def connect(self, key: str) -> bool:
        """Count a new connection from `key`; False (and not counted) when it has too many."""
        entry = self._entry(key)
        if entry.connections >= self.limits.connections_per_address:
            return False
        entry.connections += 1
        return True

    def disconnect(self, key: str) -> None:
        entry = self._addresses.get(key)
        if entry is not None and entry.connections > 0:
            entry.connections -= 1

    def hello(self, key: str, *, resume: bool = False) -> bool:
        """Whether `key` may start one more conversation now (or resume one: only a new
        conversation can become a ticket, so resuming is limited more loosely)."""
        entry = self._entry(key)
        return (entry.resumes if resume else entry.hellos).take()

    def tracked(self) -> int:
        """How many addresses are remembered right now."""
        return len(self._addresses)
