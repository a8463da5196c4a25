"""SMTP reply codes (RFC 5321 §4.2) and enhanced status codes (RFC 3463) in free text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

# x.y.z with a class of 2, 4 or 5; not a piece of an IP address or a version number.
_STATUS: Final = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# Reply codes: first digit 2-5, second 0-5 (RFC 5321 §4.2.1), so ports such as 465,
# 587 or 993 never qualify by shape alone.
_REPLY: Final = re.compile(r"(?<![\w.:/-])([2-5][0-5]\d)(?![\w.:/])")
# A reply code needs context: an enhanced code right after it, a word of error before
# it, or a line that starts with it as in an SMTP transcript ("550-Requested ...").
_FOLLOWED_BY_STATUS: Final = re.compile(r"^[\s-]+[245]\.\d{1,3}\.\d{1,3}")
_ERROR_WORD_BEFORE: Final = re.compile(
    r"(?:error|erreur|code|smtp|reply|reponse|réponse|said|status|retour|rejet\w*|"
    r"refus\w*|failed|failure|echec|échec)\W{0,3}(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE,
)
_LINE_START: Final = re.compile(r"(?:^|\n)\s*$")
_TRANSCRIPT_TAIL: Final = re.compile(r"^[\s-][A-Za-z<#]")


def status_codes(text: str) -> tuple[str, ...]:
    """Enhanced status codes ("5.1.1") in order of appearance, without repeats."""
    return _unique(m.group(0) for m in _STATUS.finditer(text))


def reply_codes(text: str) -> tuple[str, ...]:
    """Three-digit SMTP reply codes ("550") that the context marks as such."""
    found: list[str] = []
    for match in _REPLY.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if (
            _FOLLOWED_BY_STATUS.match(after)
            or _ERROR_WORD_BEFORE.search(before[-40:])
            or (_LINE_START.search(before[-20:]) and _TRANSCRIPT_TAIL.match(after))
        ):
            found.append(match.group(1))
    return _unique(found)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
