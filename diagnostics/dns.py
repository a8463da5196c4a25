"""The DNS interface of the diagnostics: a resolver protocol and its answers as values.

Diagnostics never resolve names themselves: they take an object implementing `Resolver`
(the production one in `diagnostics.resolver`, a zone-data one in `diagnostics.zone`).
Every outcome of a query, including NXDOMAIN, an empty answer and a timeout, is an
`Answer` value; resolvers do not raise for DNS failures.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Status(enum.Enum):
    """How a query ended."""

    OK = "ok"  # NOERROR with at least one record of the asked type
    NODATA = "nodata"  # NOERROR, no record of that type
    NXDOMAIN = "nxdomain"  # the name does not exist
    TIMEOUT = "timeout"  # no answer in time
    SERVFAIL = "servfail"  # the resolver could not answer (SERVFAIL, REFUSED, loop, bad name)


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """The outcome of one query: a status and the records (empty unless OK).

    `ttl` is the smallest TTL of the answer in seconds (0 when unknown or negative).
    """

    status: Status
    records: tuple[T, ...] = ()
    ttl: int = 0

    @property
    def is_error(self) -> bool:
        """True for a DNS error (timeout, servfail): the question got no answer."""
        return self.status in (Status.TIMEOUT, Status.SERVFAIL)

    @property
    def is_void(self) -> bool:
        """True for NXDOMAIN or an empty answer (a "void lookup" of RFC 7208 4.6.4)."""
        return not self.is_error and not self.records


@dataclass(frozen=True, slots=True)
class MX:
    """One MX record. `host` is "" for a null MX (RFC 7505)."""

    preference: int
    host: str


TxtRecord = tuple[bytes, ...]
"""One TXT (or SPF) record: its character-strings, in order, as raw bytes."""


class Resolver(Protocol):
    """Asynchronous DNS lookups, answers as values. Names may carry a trailing dot.

    Implementations follow CNAMEs like a recursive resolver and never raise for
    a DNS failure: it is an `Answer` with the matching `Status`.
    """

    async def txt(self, name: str) -> Answer[TxtRecord]:
        """TXT records of `name`."""
        ...

    async def spf(self, name: str) -> Answer[TxtRecord]:
        """Records of the deprecated SPF type (99) of `name`."""
        ...

    async def a(self, name: str) -> Answer[str]:
        """IPv4 addresses of `name`, as text."""
        ...

    async def aaaa(self, name: str) -> Answer[str]:
        """IPv6 addresses of `name`, as text."""
        ...

    async def mx(self, name: str) -> Answer[MX]:
        """MX records of `name`."""
        ...

    async def ptr(self, name: str) -> Answer[str]:
        """PTR targets of `name` (a reverse name such as 4.3.2.1.in-addr.arpa)."""
        ...


def join_txt(record: TxtRecord) -> bytes:
    """Join the character-strings of a TXT record with no separator (RFC 7208 3.3).

    Args:
        record: the strings of one TXT record.

    Returns:
        Their concatenation.
    """
    return b"".join(record)


def reverse_name(address: str) -> str:
    """The reverse-lookup name of an IP address (in-addr.arpa or ip6.arpa).

    Args:
        address: an IPv4 or IPv6 address as text.

    Returns:
        The name whose PTR records name the address, without a trailing dot.

    Raises:
        ValueError: `address` is not an IP address.
    """
    return ipaddress.ip_address(address).reverse_pointer
