"""A fast reading of well-formed MIME bounces: split on boundaries, parse only headers.

The email package's feed parser handles every oddity but visits each line of the message,
including the whole returned original. For the common, well-formed report this module
parses header blocks itself (as the email package would) and cuts bodies on boundary lines;
any structure it is not sure about makes it return None, and the caller falls back to the
full parser.
"""

from __future__ import annotations

import binascii
import quopri
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from ._mime import (
    MAX_DEPTH,
    MAX_PARTS,
    TEXT_LIMIT,
    Envelope,
    _bytes_to_text,
    body_boundary,
    clean,
    decode_header,
    fetch,
    html_to_text,
    multipart_head,
)

if TYPE_CHECKING:
    from email.message import Message

_BLANK = re.compile(rb"\n[ \t]*\n")
_ANY_BOUNDARY = re.compile(rb"^--[!-~]{8,70}\s*$", re.M)


class _Unsure(Exception):
    """The structure is unusual: let the email package read the message."""


class _NoDelimiter(_Unsure):
    """The message is declared multipart but its boundary never occurs."""


def _recovered(head: bytes, body: bytes) -> _Head | None:
    """The message's head as `recover_multipart` rewrites it, or None when it does not."""
    boundary = body_boundary(body)
    return None if boundary is None else _head(multipart_head(head, boundary))


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    if data.startswith(b"\n"):
        return b"", data[1:]
    match = _BLANK.search(data)
    if match is None:
        return data, b""
    return data[: match.start()], data[match.end() :]


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class _Head:
    """The header fields of one part, as the email package's compat32 Message keeps them.

    Values are raw (folded lines kept); the methods used on a part's head behave as
    `email.message.Message`'s do, without the cost of that class (and of its imports).
    """

    __slots__ = ("_params_found", "fields")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self.fields = fields  # (lower-case name, raw value)
        self._params_found: tuple[tuple[str, str], ...] | Message | None = None

    def get(self, name: str) -> str | None:
        for key, value in self.fields:
            if key == name:
                return fetch(value)
        return None

    def get_content_type(self) -> str:
        value = self.get("content-type")
        if value is None:
            return "text/plain"
        ctype = value.partition(";")[0].strip().lower()
        return ctype if ctype.count("/") == 1 else "text/plain"

    def _params(self) -> tuple[tuple[str, str], ...] | Message:
        """Content-Type's parameters; a Message holding the field when they use RFC 2231."""
        if self._params_found is None:
            self._params_found = self._read_params()
        return self._params_found

    def _read_params(self) -> tuple[tuple[str, str], ...] | Message:
        value = self.get("content-type")
        if value is None:
            return ()
        params = _params(value)
        if params is None:  # RFC 2231 parameters: the email package decodes them
            from email.message import Message

            msg = Message()
            msg.set_raw("Content-Type", value)
            return msg
        return params

    def get_boundary(self) -> str | None:
        """`Message.get_boundary`."""
        params = self._params()
        if not isinstance(params, tuple):
            return params.get_boundary()
        boundary = _param(params, "boundary")
        return None if boundary is None else _unquote(boundary).rstrip()

    def get_content_charset(self) -> str | None:
        """`Message.get_content_charset`."""
        params = self._params()
        if not isinstance(params, tuple):
            return params.get_content_charset()
        charset = _param(params, "charset")
        if charset is None or not charset.isascii():
            return None
        return charset.lower()


def _param(params: tuple[tuple[str, str], ...], name: str) -> str | None:
    # Message.get_param
    for key, raw in params:
        if key.lower() == name:
            return _unquote(raw)
    return None


def _unquote(value: str) -> str:
    # email.utils.unquote
    if len(value) > 1:
        if value.startswith('"') and value.endswith('"'):
            return value[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        if value.startswith("<") and value.endswith(">"):
            return value[1:-1]
    return value


def _quote(value: str) -> str:
    # email.utils.quote
    return value.replace("\\", "\\\\").replace('"', '\\"')


# Content-Type values repeat across messages (text/plain; charset=...): each is read once.
@lru_cache(maxsize=256)
def _params(value: str) -> tuple[tuple[str, str], ...] | None:
    """Content-Type parameters as `Message._get_params_preserve` gives them, or None.

    None when a parameter uses RFC 2231 (``name*``), which only the email package decodes.
    """
    params: list[tuple[str, str]] = []
    rest = ";" + value
    while rest[:1] == ";":  # email.message._parseparam
        rest = rest[1:]
        end = rest.find(";")
        while end > 0 and (rest.count('"', 0, end) - rest.count('\\"', 0, end)) % 2:
            end = rest.find(";", end + 1)
        if end < 0:
            end = len(rest)
        piece = rest[:end]
        name, sep, val = piece.partition("=")
        if sep:
            params.append((name.strip().lower(), val.strip()))
        else:
            params.append((piece.strip(), ""))
        rest = rest[end:]
    out = [params[0]]
    for name, val in params[1:]:  # email.utils.decode_params
        if "*" in name:
            return None
        out.append((name, f'"{_quote(_unquote(val))}"'))
    return tuple(out)


def _lines(text: str) -> list[str]:
    """The lines of `text`, each with its line end (as `_LINE` splits them)."""
    if "\r" in text:
        return _LINE.findall(text)
    lines = [line + "\n" for line in text.split("\n")]
    if lines[-1] == "\n":
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]
    return lines


def _field_start(line: str) -> bool:
    """Whether `line` may be in a header block: a field, a folded line or a "From " line."""
    if line[:1] in (" ", "\t"):
        return True
    name, sep, _ = line.partition(":")
    if sep and (not name or (name.isascii() and name.isprintable() and " " not in name)):
        return True
    return line.startswith("From ")


# One well-formed field (name, colon, value, folded lines), or else a line that is not
# one (third group): a header block is split in one pass without looking at each line in
# Python, and any such line sends the block to the careful reading.
_PLAIN_FIELD = re.compile(
    r"([!-9;-~]*):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)(?:\n|\Z)|([^\n]+)(?:\n|\Z)"
)


def _head_fields(text: str) -> tuple[list[tuple[str, str]], int]:
    """The header fields of a header block, split as the email package splits them, and the
    offset of the block's first line that cannot be in a header (`len(text)` when none):
    the email package starts the body there (a folded line that lost its indent, for one).

    The email package's feed parser gives the same fields (it is the reference of the
    tests) but costs a good part of a diagnosis; the values are stored raw, so that every
    Message method (content type, parameters, charset) works as usual on them.
    """
    if "\r" not in text and not text.startswith("From "):
        found = _PLAIN_FIELD.findall(text)
        if not any(other for _, _, other in found):
            return [(name.lower(), value) for name, value, _ in found if name], len(text)
    lines: list[str] = []
    end = 0
    for line in _lines(text):
        if not _field_start(line):
            break
        lines.append(line)
        end += len(line)
    return _slow_fields(lines), end


def _head(data: bytes) -> _Head:
    """The header fields of `data`, up to a line that cannot be in a header."""
    return _Head(_head_fields(data.decode("ascii", "surrogateescape"))[0])


def _read_part(chunk: bytes) -> tuple[_Head, bytes]:
    """The head and the body of a part, where the email package puts them."""
    head, body = _split_head(chunk)
    fields, end = _head_fields(head.decode("ascii", "surrogateescape"))
    if end < len(head):
        body = chunk[end:]
    return _Head(fields), body


def _slow_fields(lines: list[str]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    field: list[str] = []
    for line in lines:
        if line[0] in " \t":
            if field:  # a continuation line before any field is dropped
                field.append(line)
            continue
        if field:
            fields.append(_field(field))
            field = []
        if line.startswith("From "):  # an mbox separator, not a field
            continue
        if not line.startswith(":"):
            field = [line]
    if field:
        fields.append(_field(field))
    return fields


def _field(lines: list[str]) -> tuple[str, str]:
    name, value = lines[0].split(":", 1)
    return name.lower(), (value.lstrip(" \t") + "".join(lines[1:])).rstrip("\r\n")


def _fields(head: _Head) -> tuple[tuple[str, str], ...]:
    return tuple(head.fields[:300])


def _decode(part: _Head, body: bytes) -> str:
    cte = (part.get("content-transfer-encoding") or "").strip().lower()
    if cte == "base64":
        try:
            body = binascii.a2b_base64(body)
        except (binascii.Error, ValueError) as exc:
            raise _Unsure from exc
    elif cte == "quoted-printable":
        body = quopri.decodestring(body)
    try:
        charset = part.get_content_charset()
    except Exception:  # a malformed parameter means "unknown"
        charset = None
    return clean(_bytes_to_text(body[: TEXT_LIMIT * 2], charset))


def _report_text(text: str) -> str:
    """`text` of a report part with its RFC 2047 encoded words decoded.

    The email package reads a report's field blocks as header fields, which decodes encoded
    words (some MTAs put them in the recipient address); this reading does the same.
    """
    if "=?" not in text:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if "=?" not in line:
            continue
        name, sep, value = line.partition(":")
        if sep and name[:1] not in (" ", "\t", ""):
            lines[index] = f"{name}: {decode_header(value)}"
        else:  # a folded line
            lines[index] = line[: len(line) - len(line.lstrip())] + decode_header(line)
    return "\n".join(lines)


class _Reader:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.dsn: list[str] = []
        self.attached: list[bytes] = []
        self.original: tuple[tuple[str, str], ...] = ()
        self.feedback = False
        self.count = 0

    def part(self, head: _Head, body: bytes, depth: int) -> None:
        self.count += 1
        if depth > MAX_DEPTH or self.count > MAX_PARTS:
            return
        ctype = head.get_content_type()
        if ctype.startswith("multipart/"):
            self.multipart(head, body, depth)
        elif ctype in ("message/delivery-status", "message/global-delivery-status"):
            self.dsn.append(_report_text(_decode(head, body)))
        elif ctype == "message/feedback-report":
            self.feedback = True
            self.dsn.append(_report_text(_decode(head, body)))
        elif ctype in ("message/rfc822", "message/global"):
            self.attached.append(body)
            if not self.original:
                self.original = _fields(_head(_split_head(body)[0]))
        elif ctype in ("text/rfc822-headers", "message/global-headers"):
            if not self.original:
                text = _decode(head, body).encode("utf-8", "surrogateescape")
                self.original = _fields(_head(_split_head(text)[0]))
        elif ctype == "text/html":
            self.texts.append(html_to_text(_decode(head, body))[:TEXT_LIMIT])
        elif ctype.startswith("text/"):
            self.texts.append(_decode(head, body)[:TEXT_LIMIT])

    def multipart(self, head: _Head, body: bytes, depth: int) -> None:
        marks = _marks(head, body)
        if not marks:
            if depth == 0:
                raise _NoDelimiter
            # the declared boundary never occurs: the email package reads the body as text
            self.texts.append(_decode(head, body)[:TEXT_LIMIT])
            return
        if marks[0][2]:
            raise _Unsure
        for index, (_, mark_end, closing) in enumerate(marks):
            if closing:  # closing delimiter: the rest is the epilogue
                return
            end = marks[index + 1][0] if index + 1 < len(marks) else len(body)
            chunk = body[mark_end + 1 : end]
            part_head, part_body = _read_part(chunk)
            self.part(part_head, part_body.rstrip(b"\n"), depth + 1)
        # no closing delimiter: a truncated message, whose last part runs to the end (as the
        # email package reads it)


def _marks(head: _Head, body: bytes) -> list[tuple[int, int, bool]]:
    """The delimiter lines of a multipart `body` (see `_delimiters`); [] without boundary."""
    boundary = head.get_boundary()
    if not boundary:
        return []
    return _delimiters(body, boundary.encode("utf-8", "surrogateescape"))


def _delimiters(body: bytes, boundary: bytes) -> list[tuple[int, int, bool]]:
    """(start, end, closing) of each line "--boundary" or "--boundary--" (RFC 2046 §5.1.1).

    A delimiter line may end with spaces or tabs; `end` is where the line's newline is.
    """
    out: list[tuple[int, int, bool]] = []
    needle = b"--" + boundary
    size = len(body)
    pos = body.find(needle)
    while pos >= 0:
        if pos == 0 or body[pos - 1] == 0x0A:
            after = pos + len(needle)
            closing = body[after : after + 2] == b"--"
            end = after + 2 if closing else after
            while end < size and body[end] in (0x20, 0x09):
                end += 1
            if end == size or body[end] == 0x0A:
                out.append((pos, end, closing))
        pos = body.find(needle, pos + 1)
    return out


def fast_envelope(raw: bytes) -> Envelope | None:
    """Read a well-formed message quickly.

    Args:
        raw: the message bytes.

    Returns:
        The Envelope, or None when the message needs the full parser (broken structure,
        missing boundaries, undecodable parts).
    """
    data = raw.replace(b"\r\n", b"\n") if b"\r" in raw else raw
    head_bytes, body = _split_head(data)
    fields, end = _head_fields(head_bytes.decode("ascii", "surrogateescape"))
    if end < len(head_bytes):
        return None  # a line that is not a field in the message's own head: see recover_multipart
    head = _Head(fields)
    try:
        ctype = head.get_content_type()
        if (
            not ctype.startswith("multipart/")
            and (body.startswith(b"--") or b"\n--" in body)
            and _ANY_BOUNDARY.search(body[:TEXT_LIMIT])
        ):
            # body parts without a multipart header: read as `recover_multipart` reads them
            head = _recovered(head_bytes, body) or head
        reader = _Reader()
        try:
            reader.part(head, body, 0)
        except _NoDelimiter:
            # a multipart message whose boundary never occurs: the email package reads the
            # body as text, unless `recover_multipart` finds the boundary it does use
            reader = _Reader()
            recovered = _recovered(head_bytes, body)
            if recovered is None:
                reader.texts.append(_decode(head, body)[:TEXT_LIMIT])
            else:
                head = recovered
                reader.part(head, body, 0)
    except (_Unsure, LookupError, ValueError, TypeError, IndexError):
        return None
    return Envelope(
        fields=_fields(head),
        texts=tuple(reader.texts),
        dsn=tuple(reader.dsn),
        feedback=reader.feedback,
        original_fields=reader.original,
        attached=tuple(reader.attached),
    )
