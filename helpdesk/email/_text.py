"""Text of unknown trust made safe to store and to show on one line."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """`value` storable anywhere: no NUL (PostgreSQL refuses it), no lone surrogate."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def one_line(value: str) -> str:
    """`value` on one line: controls (CR, LF, bidi overrides...) removed, spaces folded.

    Header values go through it before they are shown or written into a header again,
    which is what stops a header injection through an encoded subject.
    """
    value = clean_text(value).replace("\r", " ").replace("\n", " ")
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\t", " ")
    return _SPACES.sub(" ", _CONTROL.sub("", value)).strip()
