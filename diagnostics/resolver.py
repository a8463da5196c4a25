"""The production resolver: dns.asyncresolver with timeouts and a small TTL-respecting cache.

Every lookup is asynchronous (dnspython's asyncio backend, TCP on truncation); no call
blocks the event loop. The cache belongs to the instance: two resolvers share nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from diagnostics.dns import MX, Answer, Status, TxtRecord

_NEGATIVE_TTL = 60  # seconds, when the answer carries no SOA to say otherwise
_MAX_TTL = 3600


def _to_name(name: str) -> dns.name.Name:
    """A query name built label by label, so that no character is read as an escape."""
    text = name[:-1] if name.endswith(".") else name
    labels = [label.encode("utf-8", "surrogatepass") for label in text.split(".")]
    return dns.name.Name([*labels, b""])


class DnsResolver:
    """A `diagnostics.dns.Resolver` asking real DNS servers.

    Answers (NXDOMAIN and empty answers included) are cached for their TTL, capped at an
    hour; failures (timeout, SERVFAIL) are not cached. Identical questions in flight at the
    same time are sent once.
    """

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]] = (),
        *,
        timeout: float = 2.0,
        lifetime: float = 5.0,
        cache_size: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a resolver.

        Args:
            nameservers: (address, port) pairs to ask; empty means the system's resolvers.
            timeout: seconds to wait for one server's reply.
            lifetime: seconds a whole query may take, retries included.
            cache_size: most answers kept.
            clock: monotonic clock in seconds (tests may replace it).
        """
        self._resolver = dns.asyncresolver.Resolver(configure=not nameservers)
        if nameservers:
            self._resolver.nameservers = [
                dns.nameserver.Do53Nameserver(address, port) for address, port in nameservers
            ]
        self._resolver.timeout = timeout
        self._resolver.lifetime = lifetime
        self._resolver.cache = None
        self._cache: OrderedDict[tuple[str, str], tuple[float, Answer[Any]]] = OrderedDict()
        self._cache_size = cache_size
        self._clock = clock
        # Identical questions asked at the same time share one query.
        self._pending: dict[tuple[str, str], asyncio.Task[Answer[Any]]] = {}

    async def _query(self, name: str, rdtype: str) -> Answer[Any]:
        key = (name.lower().rstrip("."), rdtype)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None:
            if cached[0] > now:
                self._cache.move_to_end(key)
                return cached[1]
            del self._cache[key]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._ask(name, rdtype))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        answer = await asyncio.shield(task)
        if not answer.is_error and key not in self._cache:
            self._cache[key] = (now + answer.ttl, answer)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return answer

    async def _ask(self, name: str, rdtype: str) -> Answer[Any]:
        try:
            qname = _to_name(name)
        except dns.exception.DNSException:
            return Answer(Status.SERVFAIL)
        try:
            result = await self._resolver.resolve(
                qname, rdtype, raise_on_no_answer=False, search=False
            )
        except dns.resolver.NXDOMAIN as exc:
            responses: dict[Any, Any] = getattr(exc, "kwargs", {}).get("responses") or {}
            response = next(iter(responses.values()), None)
            return Answer(Status.NXDOMAIN, ttl=_negative_ttl(response))
        except dns.exception.Timeout:
            return Answer(Status.TIMEOUT)
        except dns.exception.DNSException:
            return Answer(Status.SERVFAIL)
        if result.rrset is None:
            return Answer(Status.NODATA, ttl=_negative_ttl(result.response))
        records = tuple(_convert(rdtype, rdata) for rdata in result.rrset)
        return Answer(Status.OK, records, min(result.rrset.ttl, _MAX_TTL))

    async def txt(self, name: str) -> Answer[TxtRecord]:
        """TXT records of `name`."""
        return await self._query(name, "TXT")

    async def spf(self, name: str) -> Answer[TxtRecord]:
        """SPF (type 99) records of `name`."""
        return await self._query(name, "SPF")

    async def a(self, name: str) -> Answer[str]:
        """A records of `name`."""
        return await self._query(name, "A")

    async def aaaa(self, name: str) -> Answer[str]:
        """AAAA records of `name`."""
        return await self._query(name, "AAAA")

    async def mx(self, name: str) -> Answer[MX]:
        """MX records of `name`, a null MX having the host ""."""
        return await self._query(name, "MX")

    async def ptr(self, name: str) -> Answer[str]:
        """PTR records of `name`."""
        return await self._query(name, "PTR")


def _negative_ttl(response: Any) -> int:
    """The negative-caching TTL of RFC 2308: the SOA's minimum, bounded by its TTL."""
    for rrset in getattr(response, "authority", ()) or ():
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return int(min(rrset.ttl, rrset[0].minimum, _MAX_TTL))
    return _NEGATIVE_TTL


def _convert(rdtype: str, rdata: Any) -> Any:
    if rdtype in ("TXT", "SPF"):
        return tuple(rdata.strings)
    if rdtype in ("A", "AAAA"):
        return str(rdata.address)
    if rdtype == "MX":
        host = "" if rdata.exchange == dns.name.root else rdata.exchange.to_text(True)
        return MX(int(rdata.preference), host)
    return str(rdata.target.to_text(True))
