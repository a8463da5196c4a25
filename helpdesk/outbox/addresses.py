"""Checking an envelope address before any relay sees it.

The standard library's header parser (`email.headerregistry.Address`, the strict RFC 5322
grammar of `email.policy.default`) decides what an addr-spec is; this module adds what an
SMTP envelope needs on top: no control characters or replacement characters (U+FFFD is
what a wrong decoding leaves behind, never a real address), a domain, and RFC 5321's
length limits. A non-ASCII address is valid but needs SMTPUTF8 (RFC 6531) at the relay.
"""

from __future__ import annotations

import unicodedata
from email.errors import HeaderParseError
from email.headerregistry import Address

# RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain, 256 of path with its brackets.
MAX_LOCAL_OCTETS = 64
MAX_ADDRESS_OCTETS = 254


class BadAddress(ValueError):
    """An address no relay could be asked to deliver to; the message says which and why."""


def needs_smtputf8(address: str) -> bool:
    return not address.isascii()


def checked(address: str) -> str:
    """`address` as a bare addr-spec fit for MAIL FROM or RCPT TO; raises BadAddress."""
    if "\ufffd" in address:
        raise BadAddress(f"{address!r} was decoded wrongly (it holds U+FFFD)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c.isspace() for c in address):
        raise BadAddress(f"{address!r} holds a space or a control character")
    # RFC 6531 §3.3 adds every non-ASCII character to `atext`; the standard parser knows
    # only RFC 5322, so it checks the shape with those characters standing as one letter.
    shape = "".join(c if c.isascii() else "x" for c in address)
    try:
        parsed = Address(addr_spec=shape)
    except (HeaderParseError, ValueError, IndexError) as exc:
        # IndexError: the 3.11 parser trips on a trailing "@" instead of reporting it.
        raise BadAddress(f"{address!r} is not an address: {exc}") from None
    if not parsed.username or not parsed.domain:
        raise BadAddress(f"{address!r} lacks a local part or a domain")
    local, _, _domain = address.rpartition("@")
    if len(local.encode()) > MAX_LOCAL_OCTETS:
        raise BadAddress(f"{address!r}: local part longer than {MAX_LOCAL_OCTETS} octets")
    if len(address.encode()) > MAX_ADDRESS_OCTETS:
        raise BadAddress(f"{address!r}: longer than {MAX_ADDRESS_OCTETS} octets")
    if parsed.addr_spec != shape:
        # The parser normalised a quoted local part ("a"@b): keep its reading.
        return parsed.addr_spec if address.isascii() else address
    return address
