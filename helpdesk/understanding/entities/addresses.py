"""Email addresses, domain names and IP addresses in free text."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

# Local part and domain as customers write them, Unicode (IDN) included.
_LABEL: Final = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL: Final = re.compile(rf"(?<![\w.+-])[\w.+'-]+@((?:{_LABEL}\.)+{_LABEL})", re.UNICODE)
_DOMAIN: Final = re.compile(
    rf"(?<![\w@.-])(_?(?:{_LABEL}\.)+(?:xn--[a-z0-9-]+|[^\W\d_]{{2,24}}))\.?(?![\w-])"
)
# A bare "word.word" is a domain only when its last label is a real top-level domain:
# any two-letter country code, or one of the generic ones customers actually use.
# Anything else ("bonjour.merci", "fichier.pdf") is a typo or a file name.
_GENERIC_TLDS: Final = frozenset(
    """
    com net org info biz pro name mobi asia tel travel aero coop museum jobs cat
    eu app dev io ai shop store online site website tech cloud email mail agency
    paris bzh alsace corsica quebec swiss berlin london nyc immo bio green art
    xyz top club live life world today news media blog studio design digital
    family solutions services consulting company business group network systems
    """.split()
)
_FILE_EXTENSIONS: Final = frozenset({"js", "py", "sh", "md", "rs", "ps", "db", "gz", "7z"})
_IPV4: Final = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_IPV6: Final = re.compile(r"(?<![\w:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:])")


def emails(text: str) -> tuple[str, ...]:
    """Email addresses in order of appearance, without repeats (case kept)."""
    return tuple(dict.fromkeys(m.group(0).strip(".'") for m in _EMAIL.finditer(text)))


def domains(text: str) -> tuple[str, ...]:
    """Domain names written on their own (lower case), not those of email addresses.

    A link counts ("https://mon-site.com/contact" gives "mon-site.com"); a domain
    that only appears inside an address is already in `emails` and is not repeated.
    """
    without_emails = _EMAIL.sub(lambda m: " " * len(m.group(0)), text)
    found: list[str] = []
    for match in _DOMAIN.finditer(without_emails):
        # The web host "www.exemple.fr" names the domain "exemple.fr" for mail purposes.
        name = match.group(1).lower().removeprefix("www.")
        tld = name.rsplit(".", 1)[1]
        if (
            tld.startswith("xn--")
            or tld in _GENERIC_TLDS
            or (len(tld) == 2 and tld.isascii() and tld not in _FILE_EXTENSIONS)
        ):
            found.append(name)
    return tuple(dict.fromkeys(found))


def ip_addresses(text: str) -> tuple[str, ...]:
    """IPv4 and IPv6 addresses, normalised, in order of appearance."""
    found: list[tuple[int, str]] = []
    for match in _IPV4.finditer(text):
        try:
            found.append((match.start(), str(ipaddress.IPv4Address(match.group(1)))))
        except ValueError:
            continue
    for match in _IPV6.finditer(text):
        candidate = match.group(1)
        if candidate.count(":") < 2:
            continue
        try:
            found.append((match.start(), str(ipaddress.IPv6Address(candidate))))
        except ValueError:
            continue
    return tuple(dict.fromkeys(value for _, value in sorted(found)))
