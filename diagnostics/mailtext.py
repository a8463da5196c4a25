"""Text out of mail parts of unknown trust: any charset label, any bytes, any HTML.

Shared by the bounce diagnosis and the help desk's email intake, so that both read a
message's text the same way. Nothing here raises on malformed input.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from html.parser import HTMLParser

__all__ = ["decode_bytes", "html_to_text"]

# Single-byte charsets that decode any bytes, so a wrong label never fails by itself.
_EIGHT_BIT = frozenset({"iso8859-1", "iso8859-15", "cp1252", "ascii", "cp1250", "iso8859-2"})


@lru_cache(maxsize=256)
def _text_codec(charset: str) -> str | None:
    # cached: a mail part's charset label is one of a few dozen, and looking one up costs
    # as much as decoding a short part
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError):
        # "x-" marks a label not registered yet ("x-unicode-1-1-utf-7", "x-mac-roman"):
        # the name without it is often the registered one
        if not charset.startswith("x-"):
            return None
        return _text_codec(charset[2:].replace("mac-", "mac_"))
    # Only codecs that turn bytes into text ("base64", "zlib"... are not charsets).
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode the bytes of a mail part whatever its label says.

    Args:
        data: the part's bytes, transfer encoding already undone.
        charset: the declared charset, or None.

    Returns:
        The text in the declared charset if it is one and fits, else UTF-8, else
        Windows-1252 (what undeclared 8-bit mail usually is), with replacement characters
        as the last resort.
    """
    declared = _text_codec(charset.strip().strip('"').lower()) if charset else None
    if declared and declared.startswith(("utf-16", "utf-32")) and b"\x00" not in data:
        # text in UTF-16 or UTF-32 has NUL bytes in ASCII letters; without any, the label
        # is wrong (decoding would pair ASCII bytes into CJK characters)
        declared = None
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


_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
_BLOCK = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol",
        "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "address", "center", "form",
        "dl", "dt", "dd", "blockquote", "body", "html",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skip = 0
        self._quote = 0
        self._pre = 0

    def flush(self) -> None:
        text = "".join(self._line)
        if not self._pre:
            text = _SPACES.sub(" ", text).strip()
        self._line = []
        prefix = "> " * self._quote
        self.lines.append((prefix + text) if text else prefix.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag == "br":
            self.flush()
        elif tag == "li":
            if "".join(self._line).strip():
                self.flush()
            self._line = ["• "]
        elif tag in ("td", "th"):
            self._line.append(" ")
        elif tag in _BLOCK:
            self.flush()
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "li":
            if "".join(self._line).strip(" •"):
                self.flush()
        elif tag in _BLOCK:
            self.flush()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag == "hr":
            self.flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            parts = data.split("\n")
            for part in parts[:-1]:
                self._line.append(part)
                self.flush()
            self._line.append(parts[-1])
        else:
            self._line.append(data)


def html_to_text(markup: str) -> str:
    """The text a person reads in an HTML mail part.

    Args:
        markup: the HTML, possibly broken.

    Returns:
        The text: scripts, styles and the head dropped, block elements ending lines,
        list items as "• " lines, a `<blockquote>` (the quoted history of Gmail, Apple
        Mail, Thunderbird) as "> " lines, so that quote cutters treat it like a plain-text
        quote. Only the standard library's tolerant `html.parser`: never an error.
    """
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError, IndexError):  # html.parser's rare internal trips
        pass
    parser.flush()
    text = "\n".join(line.rstrip() for line in parser.lines)
    return _BLANKS.sub("\n\n", text).strip()
