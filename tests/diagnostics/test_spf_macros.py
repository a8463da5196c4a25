"""Macro expansion (RFC 7208 section 7), checked on the RFC's own examples (7.4)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnostics.dns import Answer
from diagnostics.spf import check_host, parse_record
from diagnostics.spf._macro import MacroError, parse_macro_string
from diagnostics.zone import ZoneResolver


class Recorder(ZoneResolver):
    """A zone resolver that remembers the A queries (what `exists:` asks)."""

    def __init__(self, zone: dict[str, list[Any]]) -> None:
        super().__init__(zone)
        self.asked: list[str] = []

    async def a(self, name: str) -> Answer[str]:
        self.asked.append(name)
        return await super().a(name)


async def expand(spec: str, ip: str = "192.0.2.3") -> str:
    zone = {"email.example.com": [{"TXT": f"v=spf1 exists:{spec} -all"}]}
    resolver = Recorder(zone)
    await check_host(
        resolver, ip, "email.example.com", "strong-bad@email.example.com", helo="mx.example.org"
    )
    (name,) = resolver.asked
    return name


@pytest.mark.parametrize(
    ("spec", "expansion"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{h}.%%.%_.%-.x.example", "mx.example.org.%. .%20.x.example"),
        ("%{L}.x.example", "strong-bad.x.example"),
        ("%{S}.x.example", "strong-bad%40email.example.com.x.example"),
    ],
)
async def test_rfc_examples_ipv4(spec: str, expansion: str) -> None:
    """The IPv4 examples of RFC 7208 7.4 expand as printed, with escapes and URL-encoding."""
    assert await expand(spec) == expansion


async def test_rfc_example_ipv6() -> None:
    """The IPv6 example of 7.4: nibbles of 2001:db8::cb01, reversed, under ip6."""
    name = await expand("%{ir}.%{v}._spf.%{d2}", ip="2001:db8::cb01")
    assert name == "1.0.b.c." + "0." * 20 + "8.b.d.0.1.0.0.2.ip6._spf.example.com"


async def test_long_expansion_truncated_from_the_left() -> None:
    """An expansion over 253 octets loses labels on the left (7.3)."""
    name = await expand(
        "%{l}." + "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example"
    )
    assert len(name) <= 253
    assert name.endswith("d" * 60 + ".example")


@pytest.mark.parametrize(
    "text", ["%{x}", "%{d0}", "%", "%a", "%{d", "%{c}", "%{r}", "%{t}", "a b", "é"]
)
def test_bad_macro_strings(text: str) -> None:
    """Unknown letters, a zero digit, a lone %, c/r/t outside explanations are errors."""
    with pytest.raises(MacroError):
        parse_macro_string(text)


def test_explanation_letters_allowed() -> None:
    """c, r, t and spaces are allowed in explanation text."""
    assert len(parse_macro_string("%{c} at %{r} on %{t}", explanation=True)) == 5


def test_syntax_issue_positions() -> None:
    """A bad macro in a term is reported at its offset in the record."""
    record = "v=spf1 a:%{d}.example.com exists:%{q}.example.com -all"
    (issue,) = parse_record(record).issues
    assert record[issue.position :].startswith("q}")
