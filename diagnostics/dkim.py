"""DKIM (RFC 6376): look up a selector's public key and tell missing, revoked, weak keys apart.

Finding codes: no_key, dns_error, multiple_records, syntax_error, revoked, bad_key,
weak_key, short_key, testing, unknown_key_type, key_ok.

The RSA key size is read with dkimpy's own key parser (`dkim.crypto.parse_public_key`), the
one a dkimpy-based verifier applies, so "valid" here means valid to such a receiver.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from diagnostics.dns import Resolver, Status, join_txt
from diagnostics.findings import Finding, Severity, worst

MIN_BITS = 1024  # RFC 8301: verifiers must refuse RSA keys under 1024 bits
GOOD_BITS = 2048


@dataclass(frozen=True, slots=True)
class DkimReport:
    """The key record of a selector, its tags, key type and size, and the findings."""

    domain: str
    selector: str
    name: str
    record: str | None
    tags: dict[str, str]
    key_type: str | None
    bits: int | None
    findings: tuple[Finding, ...]

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity."""
        return worst(self.findings)


def parse_tags(text: str) -> dict[str, str] | None:
    """Parse a DKIM tag list (RFC 6376 3.2); None when malformed.

    Args:
        text: "v=DKIM1; k=rsa; p=...".

    Returns:
        Tags by lower-case name, whitespace removed from values, or None.
    """
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq or not name or name in tags:
            return None
        tags[name] = "".join(value.split())
    return tags


def key_bits(key_type: str, data: bytes) -> int | None:
    """The size of a public key in bits, or None when it cannot be parsed.

    Args:
        key_type: "rsa" or "ed25519".
        data: the decoded p= value.

    Returns:
        The RSA modulus size, 256 for a 32-byte Ed25519 key, else None.
    """
    if key_type == "ed25519":
        return 256 if len(data) == 32 else None
    try:
        from dkim.crypto import parse_public_key

        key = parse_public_key(data)
        return int(key["modulus"]).bit_length()
    except Exception:  # any failure of the third-party parser means a bad key
        return None


async def check_dkim(resolver: Resolver, domain: str, selector: str) -> DkimReport:
    """Look up and assess the DKIM key published for `selector` at `domain`.

    Args:
        resolver: where DNS questions go.
        domain: the signing domain (d=).
        selector: the selector (s=).

    Returns:
        The record, its key type and size, and the findings.
    """
    domain = domain.strip().rstrip(".").lower()
    selector = selector.strip().rstrip(".")
    name = f"{selector}._domainkey.{domain}"
    answer = await resolver.txt(name)

    def report(
        record: str | None, tags: dict[str, str], kt: str | None, bits: int | None, *found: Finding
    ) -> DkimReport:
        return DkimReport(domain, selector, name, record, tags, kt, bits, found)

    if answer.status in (Status.TIMEOUT, Status.SERVFAIL):
        return report(None, {}, None, None, Finding("dns_error", "error", {"name": name}))
    texts = [join_txt(r).decode("utf-8", "replace") for r in answer.records]
    texts = [t for t in texts if "p=" in t.replace(" ", "") or t.lower().startswith("v=dkim1")]
    if not texts:
        return report(None, {}, None, None, Finding("no_key", "error", {"name": name}))
    if len(texts) > 1:
        return report(
            texts[0], {}, None, None, Finding("multiple_records", "error", {"name": name})
        )
    text = texts[0]
    tags = parse_tags(text)
    if tags is None or "p" not in tags or tags.get("v", "DKIM1") != "DKIM1":
        return report(
            text, tags or {}, None, None, Finding("syntax_error", "error", {"name": name})
        )
    key_type = tags.get("k", "rsa").lower()
    findings: list[Finding] = []
    if "y" in tags.get("t", "").lower().split(":"):
        findings.append(Finding("testing", "warning", {}))
    if not tags["p"]:
        return report(
            text, tags, key_type, None, Finding("revoked", "error", {"name": name}), *findings
        )
    if key_type not in ("rsa", "ed25519"):
        return report(
            text,
            tags,
            key_type,
            None,
            Finding("unknown_key_type", "error", {"k": key_type}),
            *findings,
        )
    try:
        data = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        data = b""
    bits = key_bits(key_type, data) if data else None
    if bits is None:
        findings.insert(0, Finding("bad_key", "error", {"name": name}))
    elif key_type == "rsa" and bits < MIN_BITS:
        findings.insert(0, Finding("weak_key", "error", {"bits": bits, "minimum": MIN_BITS}))
    elif key_type == "rsa" and bits < GOOD_BITS:
        findings.insert(0, Finding("short_key", "warning", {"bits": bits, "advised": GOOD_BITS}))
    else:
        findings.insert(0, Finding("key_ok", "info", {"bits": bits, "k": key_type}))
    return report(text, tags, key_type, bits, *findings)
