"""The production resolver against a real DNS server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from diagnostics.dns import MX, Status
from diagnostics.resolver import DnsResolver
from diagnostics.spf import check_sender, load_suite
from tests.conftest import SHARED, require_shared
from tests.dnsserver import DNSServer, serve

ZONE = {
    "example.com": [
        {"TXT": "v=spf1 mx -all"},
        {"A": "192.0.2.1"},
        {"AAAA": "2001:db8::1"},
        {"MX": [10, "mx.example.com"]},
    ],
    "big.example.com": [{"TXT": ["x" * 250] * 12}],
    "slow.example.com": ["TIMEOUT"],
    "nullmx.example.com": [{"MX": [0, ""]}],
    "alias.example.com": [{"CNAME": "example.com"}],
    "1.2.0.192.in-addr.arpa": [{"PTR": "example.com"}],
}
SUITE = SHARED / "corpora" / "spf" / "rfc7208-tests.yml"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[DNSServer]:
    with serve(ZONE) as running:
        yield running


def resolver(server: DNSServer, **kwargs: object) -> DnsResolver:
    return DnsResolver([("127.0.0.1", server.port)], timeout=0.3, lifetime=0.5, **kwargs)  # type: ignore[arg-type]


async def test_answers_by_type(server: DNSServer) -> None:
    """TXT, A, AAAA, MX, PTR answers come back as values."""
    r = resolver(server)
    assert (await r.txt("example.com")).records == ((b"v=spf1 mx -all",),)
    assert (await r.a("example.com")).records == ("192.0.2.1",)
    assert (await r.aaaa("example.com")).records == ("2001:db8::1",)
    assert (await r.mx("example.com")).records == (MX(10, "mx.example.com"),)
    assert (await r.ptr("1.2.0.192.in-addr.arpa")).records == ("example.com",)
    assert (await r.mx("nullmx.example.com")).records == (MX(0, ""),)
    assert (await r.a("alias.example.com")).records == ("192.0.2.1",)


async def test_negative_answers(server: DNSServer) -> None:
    """NXDOMAIN and an empty answer are statuses, not exceptions."""
    r = resolver(server)
    assert (await r.txt("nothing.example.com")).status is Status.NXDOMAIN
    assert (await r.ptr("example.com")).status is Status.NODATA


async def test_timeout_is_a_value(server: DNSServer) -> None:
    """A server that never answers gives a TIMEOUT answer within the lifetime."""
    answer = await resolver(server).txt("slow.example.com")
    assert answer.status is Status.TIMEOUT
    assert answer.is_error


async def test_truncated_answer_retried_over_tcp(server: DNSServer) -> None:
    """A 3 kB TXT answer is truncated over UDP and fetched over TCP."""
    answer = await resolver(server).txt("big.example.com")
    assert b"".join(answer.records[0]) == b"x" * 3000
    assert ("big.example.com", "TXT", "tcp") in server.queries


async def test_impossible_names_do_not_raise(server: DNSServer) -> None:
    """Empty labels, long labels and non-ASCII names give an answer value."""
    r = resolver(server)
    assert (await r.txt("a..example.com")).status is Status.SERVFAIL
    assert (await r.txt("x" * 64 + ".example.com")).status is Status.SERVFAIL
    assert (await r.txt("été.example.com")).status is Status.NXDOMAIN


async def test_cache_respects_ttl(server: DNSServer) -> None:
    """An answer is served from the instance cache until its TTL has passed."""
    clock = Clock()
    r = resolver(server, clock=clock)
    await r.txt("example.com")
    await r.txt("EXAMPLE.com.")
    assert server.queries.count(("example.com", "TXT", "udp")) == 1
    clock.now += 301
    await r.txt("example.com")
    assert server.queries.count(("example.com", "TXT", "udp")) == 2


async def test_failures_are_not_cached(server: DNSServer) -> None:
    """A timeout is asked again the next time."""
    r = resolver(server)
    await r.txt("slow.example.com")
    await r.txt("slow.example.com")
    assert sum(1 for q in server.queries if q[0] == "slow.example.com") >= 2


async def test_caches_are_per_instance(server: DNSServer) -> None:
    """Two resolvers share no cache."""
    await resolver(server).a("example.com")
    await resolver(server).a("example.com")
    assert server.queries.count(("example.com", "A", "udp")) == 2


async def test_conformance_suite_over_real_dns() -> None:
    """The 203 RFC 7208 tests pass through the real resolver and a loopback server."""
    failed = []
    total = 0
    for scenario in load_suite(require_shared(SUITE)):
        with serve(scenario.zone) as srv:
            r = DnsResolver([("127.0.0.1", srv.port)], timeout=0.2, lifetime=0.2)
            for case in scenario.cases:
                total += 1
                res = await check_sender(
                    r, case.host, case.mail_from, case.helo, default_explanation="DEFAULT"
                )
                ok = res.result in case.expected and (
                    case.explanation is None
                    or res.result != "fail"
                    or res.explanation == case.explanation
                )
                if not ok:
                    failed.append((case.id, res.result))
    assert total == 203
    assert failed == []
