"""Mail programs and protocols the customer mentions, by their usual names."""

from __future__ import annotations

import re
from typing import Final

from helpdesk.understanding._text import fold

# Canonical name -> patterns on folded text. Order matters only for overlaps, which
# are resolved by position: "appli gmail" is the Android app, "outlook.com" is a
# mail service rather than the Outlook program, so it is excluded.
_CLIENTS: Final[tuple[tuple[str, str], ...]] = (
    ("Outlook", r"\boutlook\b(?!\s*\.\s*(?:com|fr)\b)|\bmicrosoft 365\b|\boffice 365\b"),
    ("Thunderbird", r"\bthunder\s?bird\b"),
    (
        "Apple Mail",
        r"\bapple mail\b|\bmail (?:de|sur|du) (?:mon )?mac\b|\bmac ?mail\b|\bmail\.app\b"
        r"|\bmacos mail\b|\bapplication mail (?:de|sur|du) (?:mon )?mac\b",
    ),
    ("iOS", r"\biphone\b|\bipad\b|\bios\b"),
    (
        "Gmail app",
        r"\b(?:appli(?:cation)?|app) gmail\b|\bgmail (?:app|application)\b",
    ),
    ("Android", r"\bandroid\b|\bsamsung\b|\bgalaxy\b|\bxiaomi\b|\bhuawei\b|\bpixel\b"),
    (
        "Windows Mail",
        r"\bwindows mail\b|\bmail (?:de|pour|sur) windows\b|\bcourrier (?:de )?windows\b"
        r"|\bapplication courrier\b|\bwindows live mail\b",
    ),
    ("eM Client", r"\bem ?client\b"),
    ("K-9 Mail", r"\bk-?9(?: mail)?\b"),
    ("Roundcube", r"\broundcube\b"),
)
_COMPILED: Final = tuple((name, re.compile(pattern)) for name, pattern in _CLIENTS)

_PROTOCOLS: Final = (
    ("IMAP", re.compile(r"\bimaps?\b|\bimap4\b")),
    ("POP3", re.compile(r"\bpop ?3?s?\b(?![ -]?up\b)")),
    ("SMTP", re.compile(r"\bsmtps?\b")),
)


def _by_position(text: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> tuple[str, ...]:
    folded = fold(text)
    hits = sorted(
        (match.start(), name) for name, pattern in table for match in pattern.finditer(folded)
    )
    return tuple(dict.fromkeys(name for _, name in hits))


def mail_clients(text: str) -> tuple[str, ...]:
    """Mail programs and devices named in `text`, canonical names, first mention first."""
    return _by_position(text, _COMPILED)


def protocols(text: str) -> tuple[str, ...]:
    """ "IMAP", "POP3" and "SMTP" as named in `text`, first mention first."""
    return _by_position(text, _PROTOCOLS)


# Devices a customer reads mail on: named in a follow-up ("et sur mon téléphone ?"), they
# say where, not what is asked.
_DEVICES: Final = re.compile(
    r"\b(?:telephone|portable|mobile|smartphone|phone|cell(?:phone)?|tablettes?|tablets?|pc"
    r"|ordi(?:nateur)?s?|computers?|laptops?|mac|macbook|desktop)\b"
)


def without_names(text: str) -> str | None:
    """`text` folded, without the mail programs, devices and protocols it names: what is
    left says what is asked about them. None when it names none."""
    folded = original = fold(text)
    for _, pattern in (*_COMPILED, *_PROTOCOLS):
        folded = pattern.sub(" ", folded)
    folded = _DEVICES.sub(" ", folded)
    return " ".join(folded.split()) if folded != original else None
