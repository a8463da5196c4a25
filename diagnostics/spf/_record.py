"""Parsing an SPF record (RFC 7208 sections 4.5, 4.6, 5, 6 and 12) into terms."""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

from diagnostics.spf._macro import MacroError, Token, parse_domain_spec, parse_macro_string

QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
# Mechanisms that cost one DNS-querying term each (4.6.4), with the redirect modifier.
LOOKUP_MECHANISMS = frozenset({"a", "mx", "ptr", "exists", "include"})
_MODIFIER_RE = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)\Z", re.DOTALL)
_NAME_RE = re.compile(r"[A-Za-z0-9]*")
_DUAL_CIDR_RE = re.compile(r"(.*?)(?:/([0-9]+))?(?://([0-9]+))?\Z", re.DOTALL)
_CIDR_NUMBER_RE = re.compile(r"(?:0|[1-9][0-9]{0,2})\Z")
_IP4_RE = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\Z"
)
_VERSION = "v=spf1"


@dataclass(frozen=True, slots=True)
class Mechanism:
    """A directive: qualifier, mechanism name and its arguments, as written."""

    text: str
    position: int  # offset of the term in the record
    qualifier: str  # "+", "-", "~" or "?"
    name: str  # all, include, a, mx, ptr, ip4, ip6, exists (lower case)
    domain_spec: str | None = None
    tokens: tuple[Token, ...] = ()
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    cidr4: int = 32
    cidr6: int = 128


@dataclass(frozen=True, slots=True)
class Modifier:
    """A modifier `name=value`; `tokens` holds the parsed macro-string of its value."""

    text: str
    position: int
    name: str  # lower case
    value: str
    tokens: tuple[Token, ...] = ()


@dataclass(frozen=True, slots=True)
class SyntaxIssue:
    """A term that breaks the grammar: where it starts, the offending offset, a code."""

    term: str
    position: int  # offset of the fault in the record
    code: str  # unknown_mechanism, bad_domain, bad_macro, bad_ip, bad_cidr, ...


@dataclass(frozen=True, slots=True)
class Record:
    """A parsed SPF record. `issues` is empty for a valid record."""

    text: str
    terms: tuple[Mechanism | Modifier, ...]
    issues: tuple[SyntaxIssue, ...]
    mechanisms: tuple[Mechanism, ...] = ()  # the directives of `terms`, in order

    def __post_init__(self) -> None:
        mechanisms = tuple(t for t in self.terms if isinstance(t, Mechanism))
        object.__setattr__(self, "mechanisms", mechanisms)

    def modifier(self, name: str) -> Modifier | None:
        """The first modifier called `name` (lower case), if any."""
        for term in self.terms:
            if isinstance(term, Modifier) and term.name == name:
                return term
        return None


def is_spf_record(text: bytes) -> bool:
    """Whether a TXT record is an SPF version 1 record (RFC 7208 4.5).

    Args:
        text: the joined strings of one TXT record.

    Returns:
        True when it starts with "v=spf1" (any case) followed by a space or its end.
    """
    return text[:6].lower() == b"v=spf1" and (len(text) == 6 or text[6:7] == b" ")


@functools.lru_cache(maxsize=512)
def parse_record(text: str) -> Record:
    """Parse an SPF record, collecting every syntax problem instead of stopping at one.

    The function is pure and its result immutable, so it is memoised: a receiver sees the
    same few records (its busiest senders, their includes) over and over.

    Args:
        text: the whole record, starting with "v=spf1".

    Returns:
        The record with its terms and, if any, its syntax issues (each a permerror).
    """
    issues: list[SyntaxIssue] = []
    terms: list[Mechanism | Modifier] = []
    if text[:6].lower() != _VERSION or (len(text) > 6 and text[6] != " "):
        return Record(text, (), (SyntaxIssue(text[:6], 0, "bad_version"),))
    seen: set[str] = set()
    pos = 6
    for raw in text[6:].split(" "):
        start = pos
        pos += len(raw) + 1
        if not raw:
            continue
        term = _parse_term(raw, start)
        if isinstance(term, SyntaxIssue):
            issues.append(term)
            continue
        if isinstance(term, Modifier) and term.name in ("redirect", "exp"):
            if term.name in seen:
                issues.append(SyntaxIssue(raw, start, "duplicate_modifier"))
                continue
            seen.add(term.name)
        terms.append(term)
    return Record(text, tuple(terms), tuple(issues))


def _parse_term(raw: str, start: int) -> Mechanism | Modifier | SyntaxIssue:
    m = _MODIFIER_RE.match(raw) if "=" in raw else None
    if m is not None:
        name = m.group(1).lower()
        value = m.group(2)
        try:
            if name in ("redirect", "exp"):
                tokens = parse_domain_spec(value)
            else:
                tokens = parse_macro_string(value)
        except MacroError as exc:
            return SyntaxIssue(raw, start + len(m.group(1)) + 1 + exc.position, "bad_domain")
        return Modifier(raw, start, name, value, tokens)
    qualifier = "+"
    body = raw
    offset = 0
    if raw[0] in QUALIFIERS:
        qualifier = raw[0]
        body = raw[1:]
        offset = 1
    name_match = _NAME_RE.match(body)
    name = name_match.group(0).lower() if name_match else ""
    rest = body[len(name) :]
    where = start + offset + len(name)
    if name == "all":
        if rest:
            return SyntaxIssue(raw, where, "bad_argument")
        return Mechanism(raw, start, qualifier, name)
    if name in ("include", "exists", "ptr", "a", "mx"):
        spec: str | None = None
        cidr4, cidr6 = 32, 128
        if name in ("a", "mx") and "/" in rest:
            cm = _DUAL_CIDR_RE.match(rest)
            assert cm is not None  # the pattern matches any string
            head = cm.group(1)
            for group, limit in ((2, 32), (3, 128)):
                number = cm.group(group)
                if number is not None and (
                    _CIDR_NUMBER_RE.match(number) is None or int(number) > limit
                ):
                    return SyntaxIssue(raw, where + cm.start(group), "bad_cidr")
            cidr4 = int(cm.group(2)) if cm.group(2) is not None else 32
            cidr6 = int(cm.group(3)) if cm.group(3) is not None else 128
        else:
            head = rest
        if head:
            if head[0] != ":":
                return SyntaxIssue(raw, where, "unknown_mechanism")
            spec = head[1:]
        elif name in ("include", "exists"):
            return SyntaxIssue(raw, where, "missing_domain")
        spec_tokens: tuple[Token, ...] = ()
        if spec is not None:
            try:
                spec_tokens = parse_domain_spec(spec)
            except MacroError as exc:
                return SyntaxIssue(raw, where + 1 + exc.position, "bad_domain")
        return Mechanism(raw, start, qualifier, name, spec, spec_tokens, None, cidr4, cidr6)
    if name in ("ip4", "ip6"):
        if not rest.startswith(":"):
            return SyntaxIssue(raw, where, "bad_ip")
        address, slash, cidr = rest[1:].partition("/")
        limit = 32 if name == "ip4" else 128
        if slash and (_CIDR_NUMBER_RE.match(cidr) is None or int(cidr) > limit):
            return SyntaxIssue(raw, where + 2 + len(address), "bad_cidr")
        prefix = int(cidr) if slash else limit
        try:
            if name == "ip4":
                if _IP4_RE.match(address) is None:
                    raise ValueError(address)
                net: ipaddress.IPv4Network | ipaddress.IPv6Network = ipaddress.IPv4Network(
                    (address, prefix), strict=False
                )
            else:
                if not address.isascii() or "%" in address or "." in address.rpartition(":")[0]:
                    raise ValueError(address)
                net = ipaddress.IPv6Network((address, prefix), strict=False)
        except ValueError:
            return SyntaxIssue(raw, where + 1, "bad_ip")
        return Mechanism(raw, start, qualifier, name, None, (), net)
    return SyntaxIssue(raw, start + offset, "unknown_mechanism")
