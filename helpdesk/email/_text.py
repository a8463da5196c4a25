"""Bytes of unknown trust to text: any charset label, any bytes, never an exception."""

from __future__ import annotations

import codecs
import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def _text_codec(charset: str) -> str | None:
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError):
        return None
    # Only codecs that turn bytes into text ("base64", "zlib"... are not charsets).
    return info.name if getattr(info, "_is_text_encoding", True) else None


# Single-byte charsets that decode any bytes, so a wrong label never fails by itself.
_EIGHT_BIT = frozenset({"iso8859-1", "iso8859-15", "cp1252", "ascii", "cp1250", "iso8859-2"})


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(data: bytes, charset: str | None) -> str:
    """`data` as text: the declared charset if it is one and fits, else UTF-8, else
    Windows-1252 (what undeclared 8-bit mail usually is), with replacement characters
    as the last resort."""
    declared = _text_codec(charset.strip().strip('"').lower()) if charset else None
    if declared in _EIGHT_BIT and _is_utf8(data):
        # Valid multi-byte UTF-8 is almost never meant as Latin-1: the label is wrong.
        return data.decode("utf-8")
    for codec in (declared, "utf-8"):
        if codec is None:
            continue
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError, ValueError, TypeError):
            continue
    if declared == "utf-8":
        return data.decode("utf-8", "replace")  # declared UTF-8 with a few bad bytes
    return data.decode("cp1252", "replace")


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
