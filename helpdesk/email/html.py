"""HTML mail turned into plain text: what a person would read, quoted parts marked with `>`.

Only the standard library's tolerant `html.parser`: broken markup gives text, never an error.
Scripts, styles and the head are dropped; block elements end lines; a `<blockquote>`
(the quoted history of Gmail, Apple Mail, Thunderbird) becomes `> ` lines, so that the
quote cutter treats it like a plain-text quote.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

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

    def _flush(self) -> None:
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
            self._flush()
        elif tag == "li":
            if "".join(self._line).strip():
                self._flush()
            self._line = ["• "]
        elif tag in ("td", "th"):
            self._line.append(" ")
        elif tag in _BLOCK:
            self._flush()
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "li":
            if "".join(self._line).strip(" •"):
                self._flush()
        elif tag in _BLOCK:
            self._flush()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag == "hr":
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            parts = data.split("\n")
            for part in parts[:-1]:
                self._line.append(part)
                self._flush()
            self._line.append(parts[-1])
        else:
            self._line.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of `markup`; never raises on malformed HTML."""
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError, IndexError):  # html.parser's rare internal trips
        pass
    parser._flush()
    text = "\n".join(line.rstrip() for line in parser.lines)
    return _BLANKS.sub("\n\n", text).strip()
