"""Read a bounce message with the standard `email` package, robust to broken MIME.

Everything here returns plain strings and tuples; nothing raises on malformed input.
"""

from __future__ import annotations

import email.header
import re
from collections.abc import Iterator, Sequence
from email.feedparser import FeedParser
from email.message import Message
from email.policy import compat32

from ..mailtext import decode_bytes, html_to_text
from ._text import original_start

# Beyond this many characters a text part holds no more bounce information worth scanning:
# the diagnosis sits at the top, and scanning megabytes of attached text would only cost time.
TEXT_LIMIT = 256_000
# Parts deeper than this are not visited (a hostile message can nest without end).
MAX_DEPTH = 8
MAX_PARTS = 200

# A field name as `_dsn` reads it from text.
_DSN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,40}")
DsnRows = tuple[tuple[str, str], ...]

_HEADER_LINE = re.compile(rb"^(?:From |>?From |[!-9;-~]+:)")
LEADING_BLANK = re.compile(rb"[\xef\xbb\xbf\r\n \t]*")


class Envelope:
    """The parts of a message that bounce diagnosis uses.

    Header values are kept as read and decoded (RFC 2047, whitespace collapsed) when first
    asked for: a diagnosis looks at a handful of the dozens of fields a bounce carries.

    Attributes:
        fields: top-level header fields as (lower-case name, raw value) pairs.
        texts: the human-readable text parts, in order (HTML reduced to text).
        dsn: the text of each message/delivery-status part.
        dsn_rows: for each of `dsn`, its fields as (lower-case name, value) rows with ("", "")
            between blocks, when the email package parsed them (None: only the text).
        feedback: True when the message carries a message/feedback-report part.
        original_fields: raw header fields of the returned original message, if attached.
        attached: each attached message/rfc822 part (for forwarded bounces).
    """

    __slots__ = (
        "_decoded",
        "_first",
        "_last",
        "attached",
        "dsn",
        "dsn_rows",
        "feedback",
        "fields",
        "original_fields",
        "texts",
    )

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        texts: tuple[str, ...],
        dsn: tuple[str, ...],
        feedback: bool,
        original_fields: Sequence[tuple[str, str]],
        attached: tuple[Message, ...],
        dsn_rows: tuple[DsnRows | None, ...] = (),
    ) -> None:
        self.fields = fields
        self.texts = texts
        self.dsn = dsn
        self.dsn_rows = dsn_rows
        self.feedback = feedback
        self.original_fields = original_fields
        self.attached = attached
        self._first: dict[str, str] | None = None
        self._last: dict[str, str] | None = None
        self._decoded: dict[tuple[bool, str], str] = {}

    def header(self, name: str) -> str:
        """Return the first header field called `name` (lower case), decoded, or ""."""
        key = (False, name)
        found = self._decoded.get(key)
        if found is None:
            if self._first is None:
                self._first = dict(reversed(self.fields))  # the first of each name wins
            raw = self._first.get(name)
            found = self._decoded[key] = "" if raw is None else decode_header(fetch(raw))
        return found

    def original(self, name: str) -> str:
        """Return the last field `name` (lower case) of the returned original, decoded, or ""."""
        key = (True, name)
        found = self._decoded.get(key)
        if found is None:
            if self._last is None:
                self._last = dict(self.original_fields)
            raw = self._last.get(name)
            found = self._decoded[key] = "" if raw is None else decode_header(fetch(raw))
        return found


def fetch(value: object) -> str:
    """A raw header value as the email package's compat32 policy hands it out, as text.

    Bytes that are not ASCII (read as surrogates) are read as UTF-8, which RFC 6532
    allows in header fields and RFC 6533 in delivery reports; when they are not UTF-8
    they become U+FFFD, as `email.header.Header` renders a field of unknown charset.
    """
    if not isinstance(value, str):
        return str(value)
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = value.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:
            return clean(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("ascii", "replace")
    return value


def raw_fields(msg: Message) -> tuple[tuple[str, str], ...]:
    """The header fields of `msg` as (lower-case name, raw value) pairs (at most 300)."""
    try:
        items = msg.raw_items()
        return tuple((str(key).strip().lower(), value) for key, value in list(items)[:300])
    except Exception:
        return ()


def looks_like_message(data: bytes) -> bool:
    """Tell whether `data` starts like an RFC 5322 message (header fields first).

    Args:
        data: the raw input.

    Returns:
        True when the first non-blank line is a header field or an mbox "From " line
        and a second header field follows.
    """
    # the first 12 lines after the blank and BOM bytes, without copying the whole input
    # (as lstrip and split would do twice for a message of megabytes)
    blank = LEADING_BLANK.match(data)
    at = blank.end() if blank else 0
    found = 0
    for _ in range(12):
        end = data.find(b"\n", at)
        line = data[at:] if end < 0 else data[at:end]
        at = end + 1
        if _HEADER_LINE.match(line):
            found += 1
        elif line.strip() == b"":
            break
        elif line[:1] not in (b" ", b"\t"):
            return False
        if end < 0:
            break
    return found >= 2


def clean(text: str) -> str:
    """Replace lone surrogates left by undecodable bytes, so the text is valid Unicode."""
    if text.isascii():  # no surrogates (and no copy made to find out)
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def decode_header(value: object) -> str:
    """Decode an RFC 2047 header value to text; never raises.

    Args:
        value: the raw header value (str or email.header.Header).

    Returns:
        The decoded text with whitespace collapsed.
    """
    raw = str(value) if not isinstance(value, str) else value
    if "=?" in raw:
        try:
            parts = email.header.decode_header(raw)
        except Exception:  # a broken encoded word leaves the raw value
            parts = [(raw, None)]
        pieces = []
        for chunk, charset in parts:
            if isinstance(chunk, bytes):
                pieces.append(decode_bytes(chunk, charset))
            else:
                pieces.append(str(chunk))
        raw = "".join(pieces)
    return " ".join(clean(raw).split())


def part_text(part: Message) -> str:
    """Return the decoded text of a leaf part (transfer encoding and charset applied)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return clean(raw) if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return clean(decode_bytes(payload[: TEXT_LIMIT * 2], charset))


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def _headers(msg: Message, charset: str = "") -> tuple[tuple[str, str], ...]:
    """Decoded header fields of `msg`; values in `charset` when a report part names one.

    Raw values are read, so that 8-bit text is read as UTF-8 where it is (see `fetch`).
    A delivery report may declare a charset of its own (Exchange has written UTF-7):
    then its values are bytes in that charset.
    """
    if charset in ("", "us-ascii", "utf-8"):
        return tuple((key, decode_header(fetch(value))) for key, value in raw_fields(msg))
    return tuple(
        (key, decode_header(decode_bytes(value.encode("ascii", "surrogateescape"), charset)))
        for key, value in raw_fields(msg)
    )


def _dsn_part(part: Message) -> tuple[str, DsnRows | None]:
    """The text of a report part, and its fields when the email package parsed them.

    The rows are what reading the text back line by line gives (`_dsn.records` did so):
    fields whose name is a field name, a ("", "") row for each blank line between blocks.
    """
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks: list[str] = []
        rows: list[tuple[str, str]] = []
        try:
            charset = part.get_content_charset() or ""
        except Exception:  # a malformed parameter is no charset
            charset = ""
        for block in payload:
            if isinstance(block, Message):
                fields = _headers(block, charset)
                if blocks:
                    rows.append(("", ""))
                blocks.append("\n".join(f"{k}: {v}" for k, v in fields))
                # values are decoded with whitespace collapsed: never a line break or
                # surrounding space, so each field is one line of the text
                rows.extend(row for row in fields if _DSN_NAME.fullmatch(row[0]))
        return "\n\n".join(blocks), tuple(rows)
    return part_text(part), None


def parse_message(data: bytes) -> Message | None:
    """Parse raw bytes into a Message, or None when the email package gives up.

    What `email.message_from_bytes` does, minus its copy into a StringIO read back in 8 KB
    chunks: the feed parser takes the whole text at once (the same Message).
    """
    try:
        parser = FeedParser(policy=compat32)
        parser.feed(data.decode("ascii", "surrogateescape"))
        return parser.close()
    except Exception:
        return None


def envelope(msg: Message) -> Envelope:
    """Collect the parts of `msg` that matter for bounce diagnosis.

    Args:
        msg: a parsed message (compat32 policy).

    Returns:
        An Envelope; parts that cannot be decoded are skipped.
    """
    texts: list[str] = []
    dsn: list[str] = []
    dsn_rows: list[DsnRows | None] = []
    attached: list[Message] = []
    original: tuple[tuple[str, str], ...] = ()
    feedback = False
    count = 0

    def visit(part: Message, depth: int) -> None:
        nonlocal original, feedback, count
        count += 1
        if depth > MAX_DEPTH or count > MAX_PARTS:
            return
        ctype = _content_type(part)
        if ctype == "message/delivery-status" or ctype == "message/global-delivery-status":
            text, rows = _dsn_part(part)
            dsn.append(text)
            dsn_rows.append(rows)
            return
        if ctype == "message/feedback-report":
            feedback = True
            text, rows = _dsn_part(part)
            dsn.append(text)
            dsn_rows.append(rows)
            return
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                attached.append(inner[0])
                if not original:
                    original = raw_fields(inner[0])
            elif isinstance(inner, str) and not original:
                sub = parse_message(inner.encode("utf-8", "surrogateescape"))
                if sub is not None:
                    attached.append(sub)
                    original = raw_fields(sub)
            return
        if ctype in ("text/rfc822-headers", "message/global-headers"):
            if not original:
                sub = parse_message(part_text(part).encode("utf-8", "surrogateescape"))
                if sub is not None:
                    original = raw_fields(sub)
            return
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                subs = [sub for sub in payload if isinstance(sub, Message)]
                if ctype == "multipart/alternative" and any(
                    _content_type(sub) == "text/plain" for sub in subs
                ):
                    # the same text twice: the plain one is read, the HTML one (slow to
                    # turn into text) is not
                    subs = [sub for sub in subs if _content_type(sub) != "text/html"]
                for sub_part in subs:
                    visit(sub_part, depth + 1)
            return
        if ctype.startswith("multipart/"):
            # a multipart whose boundary never appears: the body is plain text
            texts.append(part_text(part)[:TEXT_LIMIT])
        elif ctype == "text/html":
            texts.append(html_to_text(part_text(part))[:TEXT_LIMIT])
        elif ctype.startswith("text/") or ctype == "message/delivery-status":
            text = part_text(part)[:TEXT_LIMIT]
            if texts and looks_like_message(text[:4000].encode("utf-8", "surrogateescape")):
                # a later part that is a whole message: the returned original sent as
                # text, whose headers and words are not the bounce's evidence
                if not original:
                    sub = parse_message(text.encode("utf-8", "surrogateescape"))
                    original = raw_fields(sub) if sub is not None else ()
                return
            texts.append(text)

    visit(msg, 0)
    if texts and any("<html" in t[:2000].lower() for t in texts) and len(texts) > 1:
        # multipart/alternative: keep the plain version when both exist
        texts = [t for t in texts if "<html" not in t[:2000].lower()] or texts
    return Envelope(
        fields=raw_fields(msg),
        texts=tuple(texts),
        dsn=tuple(dsn),
        feedback=feedback,
        original_fields=original,
        attached=tuple(attached),
        dsn_rows=tuple(dsn_rows),
    )


_ALNUM = re.compile(rb"[A-Za-z0-9]")
_BOUNDARY_LINE = re.compile(rb"^--([!-~]{8,70}?)(?:--)?\r?$", re.M)


def recover_multipart(raw: bytes, msg: Message) -> Message:
    """Re-read a message whose MIME header is missing or broken but whose body has parts.

    Some MTAs send a multipart body without (or with a mangled) Content-Type header; the
    boundary lines in the body are then the only evidence of the structure.

    Args:
        raw: the original bytes.
        msg: the message as first parsed.

    Returns:
        A re-parsed message with a synthesised multipart header, or `msg` unchanged.
    """
    if msg.is_multipart():
        return msg
    sep = raw.find(b"\n\n")
    # only a CRLF pair before the first LF pair counts: no need to look past it
    crlf = raw.find(b"\r\n\r\n", 0, sep + 3 if sep >= 0 else len(raw))
    if crlf >= 0 and (sep < 0 or crlf < sep):
        head, body = raw[:crlf], raw[crlf + 4 :]
    elif sep >= 0:
        head, body = raw[:sep], raw[sep + 2 :]
    else:
        return msg
    boundary = body_boundary(body)
    if boundary is None:
        return msg
    fixed = parse_message(multipart_head(head, boundary) + b"\n\n" + body)
    return fixed if fixed is not None and fixed.is_multipart() else msg


def _dash_lines(chunk: bytes) -> Iterator[int]:
    """Offsets of the lines of `chunk` that start with "--"."""
    if chunk.startswith(b"--"):
        yield 0
    at = chunk.find(b"\n--")
    while at >= 0:
        yield at + 1
        at = chunk.find(b"\n--", at + 1)


def body_boundary(body: bytes) -> bytes | None:
    """The boundary that structures `body` when its message header does not say so.

    Args:
        body: the body of a message that is not declared multipart.

    Returns:
        The most frequent boundary line's boundary when it occurs twice or more before any
        "copy of the original message" marker (the boundaries of a quoted original do not
        count), else None.
    """
    counts: dict[bytes, int] = {}
    chunk = body[:TEXT_LIMIT]
    for start in _dash_lines(chunk):
        # the expression tried where a line starts with "--" only: a match is one such line
        match = _BOUNDARY_LINE.match(chunk, start)
        if match and _ALNUM.search(match.group(1)):  # a rule of dashes is not a boundary
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    if not counts:
        return None
    boundary, seen = max(counts.items(), key=lambda item: item[1])
    if seen < 2:
        return None
    first = body.find(b"--" + boundary)
    if original_start(body[:first].decode("latin-1")) >= 0:
        # the boundaries belong to the returned message quoted after the marker
        return None
    return boundary


def multipart_head(head: bytes, boundary: bytes) -> bytes:
    """`head` with its MIME fields replaced by a multipart/mixed type on `boundary`."""
    lines = [
        line
        for line in re.split(rb"\r?\n(?![ \t])", head)
        if not line.lower().startswith((b"content-type:", b"mime-version:"))
    ]
    lines.append(b"MIME-Version: 1.0")
    lines.append(b'Content-Type: multipart/mixed; boundary="' + boundary + b'"')
    return b"\n".join(lines)
