"""SPF macro strings (RFC 7208 section 7): parsing once, expanding per check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

# Letters allowed in any macro-string, and those allowed only in explanations (7.2).
DOMAIN_LETTERS = frozenset("slodiphv")
EXP_LETTERS = frozenset("slodiphvcrt")
_BAD_CHAR = re.compile(r"[^\x21-\x7e]")
_BAD_EXP_CHAR = re.compile(r"[^\x20-\x7e]")
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}
_EXPAND_RE = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
# A domain-end (7.1): "." toplabel ["."], toplabel being alphanumeric with a letter, or
# with an inner dash.
_TOPLABEL_END_RE = re.compile(
    r"\.(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])\.?\Z"
)


@dataclass(frozen=True, slots=True)
class Expand:
    """One `%{...}` macro: its letter, kept right-hand parts, reversal and delimiters."""

    letter: str  # lower case
    upper: bool  # an upper-case letter asks for URL escaping
    keep: int | None
    reverse: bool
    delimiters: str


Token = str | Expand


class MacroError(ValueError):
    """A macro-string does not follow the grammar; `position` is the offset of the fault."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


def parse_macro_string(text: str, *, explanation: bool = False) -> tuple[Token, ...]:
    """Parse a macro-string (or, with `explanation`, an explain-string) into tokens.

    Args:
        text: the unexpanded string.
        explanation: allow the letters c, r, t and spaces (RFC 7208 7.1, 6.2).

    Returns:
        Literal strings and `Expand` macros, in order.

    Raises:
        MacroError: a character or a macro outside the grammar.
    """
    return _parse(text, explanation)[0]


def parse_domain_spec(text: str) -> tuple[Token, ...]:
    """Parse a domain-spec: a macro-string ending with a domain-end (RFC 7208 7.1).

    Args:
        text: the unexpanded domain-spec.

    Returns:
        Its tokens.

    Raises:
        MacroError: not a macro-string, or no macro nor "." top-label at its end.
    """
    tokens, tail_start = _parse(text, False)
    if not text:
        raise MacroError("empty domain", 0)
    if tail_start < len(text) and _TOPLABEL_END_RE.search(text, tail_start) is None:
        raise MacroError("the domain does not end with a valid top-level label", tail_start)
    return tokens


def _parse(text: str, explanation: bool) -> tuple[tuple[Token, ...], int]:
    if "%" not in text:  # the common case: plain text, checked in one regex
        bad = (_BAD_EXP_CHAR if explanation else _BAD_CHAR).search(text)
        if bad is not None:
            raise MacroError("character not allowed", bad.start())
        return ((text,) if text else ()), 0
    letters = EXP_LETTERS if explanation else DOMAIN_LETTERS
    tokens: list[Token] = []
    literal: list[str] = []
    i = 0
    tail_start = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                literal.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "{":
                m = _EXPAND_RE.match(text, i)
                if m is None:
                    raise MacroError("bad macro", i)
                letter = m.group(1)
                if letter.lower() not in letters:
                    raise MacroError("macro letter not allowed here", i + 2)
                keep = None
                if m.group(2):
                    digits = m.group(2)
                    keep = int(digits) if len(digits) < 10 else 1_000_000_000
                    if keep == 0:
                        raise MacroError("zero digit transformer", i + 3)
                if literal:
                    tokens.append("".join(literal))
                    literal = []
                tokens.append(
                    Expand(
                        letter=letter.lower(),
                        upper=letter.isupper(),
                        keep=keep,
                        reverse=bool(m.group(3)),
                        delimiters=m.group(4) or ".",
                    )
                )
                i = m.end()
            else:
                raise MacroError("'%' not followed by '{', '%', '_' or '-'", i)
            tail_start = i
        elif "\x21" <= ch <= "\x7e" or (explanation and ch == " "):
            end = text.find("%", i)
            end = n if end < 0 else end
            chunk = text[i:end]
            bad = (_BAD_EXP_CHAR if explanation else _BAD_CHAR).search(chunk)
            if bad is not None:
                raise MacroError("character not allowed", i + bad.start())
            literal.append(chunk)
            i = end
        else:
            raise MacroError("character not allowed", i)
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens), tail_start


def transform(value: str, expand: Expand) -> str:
    """Apply a macro's transformers and URL escaping to the value of its letter.

    Args:
        value: the value of the macro letter.
        expand: the macro.

    Returns:
        The expansion (RFC 7208 7.3).
    """
    if expand.keep is not None or expand.reverse or expand.delimiters != ".":
        parts = re.split("[" + re.escape(expand.delimiters) + "]", value)
        if expand.reverse:
            parts.reverse()
        if expand.keep is not None and expand.keep < len(parts):
            parts = parts[-expand.keep :]
        value = ".".join(parts)
    if expand.upper:
        value = quote(value, safe="")
    return value
