"""No input makes the domain checks raise: random records, huge answers, non-ASCII, loops."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics.dkim import check_dkim
from diagnostics.dmarc import check_dmarc
from diagnostics.mx import check_mx
from diagnostics.spf import (
    RESULTS,
    check_host,
    check_sender,
    lint_spf,
    parse_record,
    propose_record,
)
from diagnostics.zone import ZoneResolver

FRAGMENTS = [
    "a",
    "mx",
    "ptr",
    "all",
    "include:",
    "exists:",
    "ip4:",
    "ip6:",
    "redirect=",
    "exp=",
    "%{d}",
    "%{i}",
    "%{l1r-}",
    "%{p}",
    "%{c}",
    "%{d0}",
    "%%",
    "%_",
    "%-",
    "%",
    "/24",
    "//64",
    "/",
    ".",
    ":",
    "-",
    "+",
    "~",
    "?",
    "=",
    "{",
    "}",
    "example.com",
    "other.example",
    "1.2.3.4",
    "192.0.2.0",
    "::1",
    "cafe:babe::",
    " ",
    "  ",
    "é",
    "\x00",
    "\t",
    "x" * 70,
]
terms = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
records = st.one_of(
    st.lists(terms, max_size=8).map(lambda ts: "v=spf1 " + " ".join(ts)),
    st.text(max_size=80).map(lambda t: "v=spf1 " + t),
)
ips = st.sampled_from(["192.0.2.1", "1.2.3.4", "::1", "cafe:babe::1", "::ffff:1.2.3.4", "bad"])
names = st.one_of(
    st.sampled_from(["example.com", "other.example", "é.example", "a..b", "x" * 64 + ".com", ""]),
    st.text(max_size=30),
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def zone_with(record: str, extra: str = "v=spf1 include:example.com -all") -> dict[str, Any]:
    return {
        "example.com": [{"TXT": record}, {"A": "192.0.2.1"}, {"MX": [10, "other.example"]}],
        "other.example": [{"TXT": extra}, {"A": "1.2.3.4"}, {"AAAA": "::1"}],
        "1.2.3.4.in-addr.arpa": [{"PTR": "other.example"}],
        "loop.example": [{"CNAME": "loop.example"}],
        "slow.example": ["TIMEOUT"],
    }


@FAST
@given(record=records)
def test_parse_never_raises(record: str) -> None:
    """Any record text parses into terms and issues."""
    parsed = parse_record(record)
    assert all(0 <= issue.position <= len(record) for issue in parsed.issues)


@FAST
@given(record=records, extra=records, ip=ips, sender=names, helo=names)
def test_check_host_never_raises(record: str, extra: str, ip: str, sender: str, helo: str) -> None:
    """check_host() returns one of the seven results for any record and identity."""
    resolver = ZoneResolver(zone_with(record, extra))
    result = asyncio.run(check_sender(resolver, ip, f"{sender}@example.com", helo))
    assert result.result in RESULTS


@FAST
@given(record=records, extra=records)
def test_lint_never_raises_and_proposal_parses(record: str, extra: str) -> None:
    """The linter answers for any record, and its proposed record is valid SPF."""
    resolver = ZoneResolver(zone_with(record, extra))
    report = asyncio.run(
        lint_spf(
            resolver, "example.com", provider_include="other.example", provider_ips=("1.2.3.4",)
        )
    )
    assert report.record == record
    proposal = report.proposed or record
    if report.proposed is not None:
        assert parse_record(proposal).issues == ()


@FAST
@given(records=st.lists(records, max_size=3))
def test_propose_merges_anything(records: list[str]) -> None:
    """A record proposed from any set of records is one valid SPF record."""
    proposal = propose_record(records, "spf.provider.example")
    assert parse_record(proposal).issues == ()


@FAST
@given(text=st.text(max_size=200), domain=names)
def test_dmarc_dkim_mx_never_raise(text: str, domain: str) -> None:
    """DMARC, DKIM and MX checks answer for any record text and any name."""
    zone = {
        "_dmarc.example.com": [{"TXT": "v=DMARC1;" + text}],
        "s._domainkey.example.com": [{"TXT": text}, {"TXT": "v=DKIM1; p=" + text}],
        "example.com": [{"MX": [10, text or "x"]}],
    }
    resolver = ZoneResolver(zone)

    async def run() -> None:
        for name in ("example.com", domain):
            await check_dmarc(resolver, name)
            await check_dkim(resolver, name, text or "s")
            await check_mx(resolver, name, ("mx.example.net",))

    asyncio.run(run())


def test_huge_txt_answer() -> None:
    """A TXT answer of 200 records of 255-byte strings is evaluated without trouble."""
    junk = [{"TXT": ["x" * 255] * 40} for _ in range(200)]
    record = "v=spf1 " + " ".join(f"ip4:10.0.{i // 256}.{i % 256}" for i in range(2000)) + " -all"
    zone = {
        "example.com": [*junk, {"TXT": [record[i : i + 255] for i in range(0, len(record), 255)]}]
    }
    resolver = ZoneResolver(zone)
    result = asyncio.run(check_host(resolver, "10.0.7.207", "example.com", "a@example.com"))
    assert result.result == "pass"
    report = asyncio.run(lint_spf(resolver, "example.com"))
    assert "record_too_long" in {f.code for f in report.findings}


def test_loops_end() -> None:
    """Include, redirect and CNAME loops end in a permerror or no match, never a hang."""
    zone = {
        "a.example": [{"TXT": "v=spf1 include:b.example -all"}],
        "b.example": [{"TXT": "v=spf1 redirect=a.example"}],
        "c.example": [{"TXT": "v=spf1 a:loop.example mx:loop.example ptr:loop.example ~all"}],
        "loop.example": [{"CNAME": "loop.example"}],
    }
    resolver = ZoneResolver(zone)
    assert (
        asyncio.run(check_host(resolver, "192.0.2.1", "a.example", "x@a.example")).result
        == "permerror"
    )
    assert (
        asyncio.run(check_host(resolver, "192.0.2.1", "c.example", "x@c.example")).result
        == "temperror"
    )
    codes = {f.code for f in asyncio.run(lint_spf(resolver, "a.example")).findings}
    assert "loop" in codes


def test_non_ascii_identities() -> None:
    """Non-ASCII senders, HELO names and domains give a result, not an exception."""
    resolver = ZoneResolver({"exemple.fr": [{"TXT": "v=spf1 exists:%{l}.%{h}.exemple.fr -all"}]})
    result = asyncio.run(check_sender(resolver, "192.0.2.1", "ünï@exemple.fr", "hélo.exemple"))
    assert result.result == "fail"
    assert asyncio.run(check_sender(resolver, "192.0.2.1", "a@été.fr", "x")).result == "none"


def test_lint_bounded_on_wide_include_tree() -> None:
    """A tree of includes ten wide and deep is walked within a bounded number of fetches."""
    zone: dict[str, Any] = {}
    for depth in range(8):
        includes = " ".join(f"include:d{depth + 1}.example" for _ in range(10))
        zone[f"d{depth}.example"] = [{"TXT": f"v=spf1 {includes} -all"}]
    zone["d8.example"] = [{"TXT": "v=spf1 -all"}]
    report = asyncio.run(lint_spf(ZoneResolver(zone), "d0.example"))
    assert "too_many_lookups" in {f.code for f in report.findings}
