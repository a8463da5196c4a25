"""Names and addresses as check_host() needs them: validity (RFC 7208 4.3), truncation (7.3)."""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def valid_domain(name: str) -> bool:
    """Whether `name` can be the domain of check_host() (RFC 7208 4.3).

    Args:
        name: a domain name, with or without a trailing dot.

    Returns:
        False for an empty label, a label over 63 octets, over 253 octets in all, a
        single label (not a fully qualified name) or a domain literal.
    """
    if name.endswith("."):
        name = name[:-1]
    if "[" in name or "]" in name:
        return False
    labels = _labels(name)
    return labels is not None and len(labels) >= 2 and not labels[-1].isdigit()


def _octets(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _labels(name: str) -> list[str] | None:
    """The labels of a name without trailing dot, or None if it cannot be queried."""
    if not name or _octets(name) > 253:
        return None
    labels = name.split(".")
    if name.isascii():
        if all(0 < len(label) <= 63 for label in labels):
            return labels
        return None
    for label in labels:
        if not label or _octets(label) > 63:
            return None
    return labels


def shorten(name: str) -> str | None:
    """Drop labels from the left until the name fits in 253 octets (7.3); None if invalid."""
    if name.endswith("."):
        name = name[:-1]
    while _octets(name) > 253:
        _, dot, name = name.partition(".")
        if not dot:
            return None
    return name if _labels(name) is not None else None


def parse_ip(text: str) -> IPAddress | None:
    """Parse a client address; an IPv4-mapped IPv6 address becomes IPv4 (RFC 7208 5/9/2).

    Args:
        text: the address as text.

    Returns:
        The address, or None when `text` is not one.
    """
    text = text.strip()
    try:  # inet_pton is much faster than ipaddress's parser, which stays the fallback
        return ipaddress.IPv4Address(int.from_bytes(socket.inet_pton(socket.AF_INET, text)))
    except (OSError, ValueError):
        pass
    try:
        ip: IPAddress = ipaddress.IPv6Address(
            int.from_bytes(socket.inet_pton(socket.AF_INET6, text))
        )
    except (OSError, ValueError):
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
