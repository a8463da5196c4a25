"""A resolver that answers from zone data held in memory, for tests and conformance suites.

The zone data is the `zonedata` form of the openspf YAML suite
(see the corpus README): a mapping of owner name to a list of entries, each a one-key
mapping `{TYPE: value}` or the bare string `TIMEOUT`. The same form feeds the loopback
DNS server of the tests, so one zone describes a domain for both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from diagnostics.dns import MX, Answer, Status, TxtRecord

ZoneData = Mapping[str, Sequence[Any]]
"""Owner name -> entries (`{"TXT": "v=spf1 -all"}`, `{"A": "192.0.2.1"}`, `"TIMEOUT"`...)."""

_TIMEOUT = "TIMEOUT"
_MAX_CNAME_DEPTH = 8


def _norm(name: str) -> str:
    return name.rstrip(".").lower() if name not in (".", "") else ""


def _txt_value(value: Any) -> TxtRecord | None:
    if value == "NONE":
        return None
    if isinstance(value, list | tuple):
        return tuple(_to_bytes(v) for v in value)
    return (_to_bytes(value),)


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


class ZoneResolver:
    """A `diagnostics.dns.Resolver` serving a fixed zone (no network, no clock).

    Rules (corpus README): a name absent from the zone is NXDOMAIN; a present name with
    no record of the asked type is NODATA; `TIMEOUT` makes a type with no record listed
    before it time out; SPF records are copied to TXT when the owner lists no TXT at all;
    CNAMEs are followed, a CNAME loop is SERVFAIL.
    """

    def __init__(self, zone: ZoneData) -> None:
        """Build the resolver.

        Args:
            zone: owner name -> list of entries, in the suite's `zonedata` form.
        """
        self._zone: dict[str, list[tuple[str, Any]]] = {}
        for owner, entries in zone.items():
            parsed: list[tuple[str, Any]] = []
            has_txt = False
            spf_values: list[Any] = []
            for entry in entries or ():
                if entry == _TIMEOUT:
                    parsed.append((_TIMEOUT, None))
                    continue
                if not isinstance(entry, dict | Mapping) or len(entry) != 1:
                    continue
                ((rtype, value),) = entry.items()
                rtype = str(rtype).upper()
                parsed.append((rtype, value))
                if rtype == "TXT":
                    has_txt = True
                elif rtype == "SPF":
                    spf_values.append(value)
            if spf_values and not has_txt:
                parsed.extend(("TXT", v) for v in spf_values)
            self._zone.setdefault(_norm(str(owner)), []).extend(parsed)
        self._cache: dict[tuple[str, str], Answer[Any]] = {}

    def lookup(self, name: str, rtype: str) -> Answer[Any]:
        """Answer a query synchronously (what a test DNS server built on this zone serves).

        Args:
            name: the query name.
            rtype: the record type, upper case ("TXT", "A", "MX", ...).

        Returns:
            The answer, CNAMEs already followed.
        """
        key = (name, rtype)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._resolve(_norm(name), rtype, 0)
            self._cache[key] = cached
        return cached

    def _resolve(self, name: str, rtype: str, depth: int) -> Answer[Any]:
        entries = self._zone.get(name)
        if entries is None:
            return Answer(Status.NXDOMAIN)
        values: list[Any] = []
        cname: str | None = None
        for etype, value in entries:
            if etype == _TIMEOUT:
                if not values:
                    return Answer(Status.TIMEOUT)
                break
            if etype == rtype:
                if value == _TIMEOUT:
                    return Answer(Status.TIMEOUT)
                if not (value == "NONE" and rtype in ("TXT", "SPF")):
                    values.append(value)
            elif etype == "CNAME" and cname is None:
                cname = str(value)
        records = [r for r in (self._convert(rtype, v) for v in values) if r is not None]
        if not records and cname is not None:
            if depth >= _MAX_CNAME_DEPTH:
                return Answer(Status.SERVFAIL)
            return self._resolve(_norm(cname), rtype, depth + 1)
        if not records:
            return Answer(Status.NODATA)
        return Answer(Status.OK, tuple(records))

    @staticmethod
    def _convert(rtype: str, value: Any) -> Any:
        if rtype in ("TXT", "SPF"):
            return _txt_value(value)
        if rtype == "MX":
            if isinstance(value, list | tuple) and len(value) == 2:
                host = str(value[1])
                return MX(int(value[0]), "" if host in ("", ".") else host.rstrip("."))
            return None
        return str(value)

    async def txt(self, name: str) -> Answer[TxtRecord]:
        """TXT records of `name`."""
        return self.lookup(name, "TXT")

    async def spf(self, name: str) -> Answer[TxtRecord]:
        """SPF (type 99) records of `name`."""
        return self.lookup(name, "SPF")

    async def a(self, name: str) -> Answer[str]:
        """A records of `name`."""
        return self.lookup(name, "A")

    async def aaaa(self, name: str) -> Answer[str]:
        """AAAA records of `name`."""
        return self.lookup(name, "AAAA")

    async def mx(self, name: str) -> Answer[MX]:
        """MX records of `name`."""
        return self.lookup(name, "MX")

    async def ptr(self, name: str) -> Answer[str]:
        """PTR records of `name`."""
        return self.lookup(name, "PTR")
