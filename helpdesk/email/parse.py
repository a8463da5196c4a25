"""Reading an inbound message with the standard library's email package, whatever it holds.

`parse_mail` never raises: any charset (declared, wrong, unknown or none), broken MIME,
HTML-only mail, hundreds of attachments. What it cannot read becomes a defect count and
an empty field, not an exception. The result holds what the responder needs: threading
and loop headers, the customer's own words (HTML turned into text, quoted history and
signature cut) and any forwarded message rendered as text for the bounce diagnosis.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.header import decode_header, make_header
from email.headerregistry import AddressHeader
from email.message import Message
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime

from diagnostics.mailtext import decode_bytes, html_to_text
from helpdesk.email._text import clean_text, one_line
from helpdesk.email.quotes import cut_reply
from helpdesk.wording import LANGUAGES

# Past these, the rest is left out: a person's question fits well within them.
MAX_TEXT_CHARS = 100_000
MAX_PART_BYTES = 2 * 1024 * 1024
MAX_FORWARD_CHARS = 50_000
MAX_PARTS = 1_000
MAX_DEPTH = 5
MAX_IDS = 20

_MSGID = re.compile(r"<([^<>\s]{1,250})>")
# What an addr-spec may not hold even when the grammar lets it through: spaces, controls,
# and U+FFFD, which only a wrong decoding leaves behind.
_NOT_IN_ADDRESS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ufffd]")
MAX_ADDRESS_CHARS = 254  # RFC 5321 §4.5.3.1.3, without the angle brackets
# Trace headers a delivering server (an MDA, or our SMTP listener) puts on top of a
# message: above the first other header they name the envelope, below they are the
# sender's own text.
_TRACE = frozenset({"return-path", "delivered-to", "x-original-to"})
# Headers the loop rules and the transcript look at (first value of each).
LOOP_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "list-help",
    "x-auto-response-suppress",
    "x-autoreply",
    "x-autorespond",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-failed-recipients",
    "x-loop",
    "sender",
    "content-type",
)
_REPORT_TYPES = ("message/delivery-status", "message/global-delivery-status")
_HEADERS_TYPES = ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers")
_MESSAGE_TYPES = ("message/rfc822", "message/global")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class AddressProblem:
    """A sender header whose value is not an address list the strict grammar accepts."""

    header: str  # "from" or "reply-to"
    value: str  # the value as decoded, one line
    why: str  # what the parser found wrong, for the log


@dataclass(frozen=True)
class InboundMail:
    """One received message, read. Addresses are lower-case; text fields are clean."""

    message_id: str  # with its angle brackets
    synthetic_id: bool  # the message had none: this one is derived from its bytes
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str  # one line, control characters removed
    from_address: str  # "" when the message names no usable sender
    from_name: str
    reply_to: str  # where an answer goes: Reply-To, else From
    return_path: str | None  # envelope sender; "" is the null sender; None: unknown
    recipients: tuple[str, ...]
    date: datetime | None
    lang_hint: str | None
    text: str  # the customer's own words
    quoted_removed: bool
    forwarded: tuple[str, ...]  # forwarded messages and reports, as text
    attachments: tuple[Attachment, ...]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain"
    size: int = 0
    defects: int = 0
    # A From or Reply-To that the strict grammar refuses: no answer goes to a guess.
    address_problem: AddressProblem | None = None
    # Delivered-To / X-Original-To that the delivering server put on top.
    envelope_recipients: tuple[str, ...] = ()

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Ids this message answers, the most telling first (In-Reply-To, then the
        References from the newest)."""
        seen: list[str] = []
        for mid in (*self.in_reply_to, *reversed(self.references)):
            if mid not in seen:
                seen.append(mid)
        return tuple(seen[:MAX_IDS])


def _raw_values(msg: Message, name: str) -> list[str]:
    """Every `name` header of `msg` as the parser left it (8-bit bytes still escaped)."""
    try:
        return [str(v) for k, v in msg.raw_items() if k.lower() == name]
    except Exception:  # a header the parser cannot even hold
        return []


def _unraw(value: str) -> tuple[str, bool]:
    """A raw header value as text, and whether it was ASCII or valid UTF-8.

    RFC 6532 allows UTF-8 in header fields: 8-bit bytes are read as UTF-8 first, and
    only when they are not UTF-8 guessed at as the body decoder guesses.
    """
    if value.isascii():
        return value, True
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # text already, not bytes the parser escaped
        return value, True
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return decode_bytes(data, None), False


def _decode_words(value: str) -> str:
    """`value` with its RFC 2047 encoded words decoded, on one clean line."""
    with contextlib.suppress(Exception):
        return one_line(str(make_header(decode_header(value))))
    # An unknown charset or a broken encoded word: decode piece by piece.
    try:
        pieces = decode_header(value)
    except Exception:
        return one_line(value)
    out = []
    for data, charset in pieces:
        out.append(data if isinstance(data, str) else decode_bytes(data, charset))
    return one_line("".join(out))


def header_text(msg: Message, name: str) -> str:
    """The first `name` header of `msg`, decoded (RFC 6532, RFC 2047), on one clean line."""
    values = _raw_values(msg, name.lower())
    return _decode_words(_unraw(values[0])[0]) if values else ""


def _parse_addresses(value: str, *, utf8: bool) -> tuple[list[tuple[str, str]], str]:
    """The (display name, lower-case addr-spec) pairs of an address list, and what was
    wrong with it ("" when nothing).

    The grammar is the standard library's (`email.headerregistry`, RFC 5322 with RFC 6532's
    UTF-8); on top, an addr-spec must have a local part and a domain, hold no space,
    control or U+FFFD, fit RFC 5321's length, and be non-ASCII only if the header was UTF-8.
    """
    try:
        parsed = default_policy.header_factory("to", one_line(value))
    except (HeaderParseError, ValueError, LookupError, TypeError, AttributeError) as exc:
        return [], f"{type(exc).__name__}: {exc}"  # IndexError: 3.11 trips on "a@"
    defects = parsed.defects
    assert isinstance(parsed, AddressHeader)
    problems = [
        str(d) or type(d).__name__
        for d in defects
        if not isinstance(d, NonASCIILocalPartDefect)  # RFC 6532 allows it
    ]
    found = []
    for address in parsed.addresses:
        spec = address.addr_spec
        if not address.username or not address.domain:
            problems.append(f"{spec!r} lacks a local part or a domain")
        elif _NOT_IN_ADDRESS.search(spec) or len(spec) > MAX_ADDRESS_CHARS:
            problems.append(f"{spec!r} holds a space or a control character, or is too long")
        elif not spec.isascii() and not utf8:
            problems.append(f"{spec!r} is 8-bit but not UTF-8")
        else:
            found.append((one_line(address.display_name), spec.lower()))
    return found, "; ".join(problems)


def _address_list(value: str) -> list[tuple[str, str]]:
    """The usable addresses of a list, leaving out what cannot be read (To, Cc...)."""
    return _parse_addresses(value, utf8=True)[0]


def _recipients(msg: Message, *names: str) -> list[str]:
    found: list[str] = []
    for name in names:
        for value in _raw_values(msg, name)[:5]:
            found += [a for _, a in _address_list(_unraw(value)[0])]
    return list(dict.fromkeys(found))


def _sender(msg: Message, name: str) -> tuple[tuple[str, str] | None, AddressProblem | None]:
    """The first address of a sender header (From, Reply-To), read strictly: a header
    with any defect gives a problem, not a guess. (None, None) when there is no header."""
    values = _raw_values(msg, name)
    if not values:
        return None, None
    value, utf8 = _unraw(values[0])
    value = one_line(value)  # encoded words are the grammar's to decode, in their place
    found, problem = _parse_addresses(value, utf8=utf8)
    if not problem and not found:
        problem = "no address"
    if problem:
        return None, AddressProblem(name, value[:500], problem)
    return found[0], None


def _envelope_recipients(msg: Message) -> tuple[str, ...]:
    """The envelope recipients the delivering server wrote on top of the message
    (Delivered-To, X-Original-To), for RFC 3834's implicit-delivery check."""
    found: list[str] = []
    try:
        items = msg.raw_items()
        for name, value in items:
            key = name.lower()
            if key not in _TRACE:
                break
            if key != "return-path":
                found += [a for _, a in _address_list(_unraw(str(value))[0])]
    except Exception:
        return ()
    return tuple(dict.fromkeys(found))[:MAX_IDS]


def _ids(value: str) -> tuple[str, ...]:
    return tuple(f"<{m}>" for m in _MSGID.findall(value))[:MAX_IDS]


def _return_path(msg: Message) -> str | None:
    values = _raw_values(msg, "return-path")
    if not values:
        return None
    # The first one is the delivering server's (MDAs prepend it); later ones are forged.
    text = one_line(_unraw(values[0])[0])
    if text.strip("<> ") == "":
        return ""
    found = _address_list(text)
    return found[0][1] if found else None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _lang(value: str) -> str | None:
    primary = value.split(",")[0].strip().lower().split("-")[0]
    return primary if primary in LANGUAGES else None


class _Body:
    """What the walk over a message's parts collects."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.reports: list[str] = []
        self.forwarded: list[str] = []
        self.attachments: list[Attachment] = []
        self.parts = 0
        self.defects = 0

    def text(self) -> str:
        if any(t.strip() for t in self.plain):
            return "\n\n".join(self.plain)
        return "\n\n".join(html_to_text(h) for h in self.html)


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def _part_text(part: Message, data: bytes) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(data[:MAX_PART_BYTES], charset)


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        return ""
    with contextlib.suppress(Exception):
        name = str(make_header(decode_header(name)))
    return one_line(name)[:200]


def _walk(part: Message, body: _Body, depth: int) -> None:
    body.parts += 1
    if body.parts > MAX_PARTS or depth > MAX_DEPTH:
        return
    ctype = part.get_content_type()
    body.defects += len(getattr(part, "defects", ()))
    if ctype in _MESSAGE_TYPES or ctype in _REPORT_TYPES:
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks = [p for p in payload if isinstance(p, Message)]
            if ctype in _MESSAGE_TYPES and blocks:
                body.attachments.append(Attachment(_filename(part), ctype, 0))
                body.forwarded.append(render_message(blocks[0], depth + 1))
            else:  # a delivery-status part: header blocks, per message and per recipient
                lines = [f"{k}: {one_line(str(v))}" for b in blocks for k, v in b.items()]
                body.reports.append("\n".join(lines))
            return
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "multipart/alternative":
            # One rendering of the same text: the plain one when it says something.
            alternatives = []
            for child in children:
                sub = _Body()
                sub.parts = body.parts
                _walk(child, sub, depth + 1)
                body.parts = sub.parts
                alternatives.append(sub)
            best = next((s for s in alternatives if any(t.strip() for t in s.plain)), None)
            best = best or next((s for s in alternatives if s.html), None)
            for sub in alternatives:
                if sub is best:
                    body.plain.append(sub.text())
                body.forwarded += sub.forwarded
                body.reports += sub.reports
                body.attachments += sub.attachments
                body.defects += sub.defects
            return
        for child in children:
            _walk(child, body, depth + 1)
        return
    data = _payload(part)
    filename = _filename(part)
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    if filename.lower().endswith(".eml") or ctype in _MESSAGE_TYPES:
        body.attachments.append(Attachment(filename, ctype, len(data)))
        if data:
            inner = _message(data[:MAX_PART_BYTES])
            if inner is not None:
                body.forwarded.append(render_message(inner, depth + 1))
        return
    if ctype in _REPORT_TYPES or ctype in _HEADERS_TYPES:
        body.reports.append(_part_text(part, data))
        return
    if disposition != "attachment" and ctype == "text/plain" and not filename:
        body.plain.append(_part_text(part, data))
        return
    if disposition != "attachment" and ctype == "text/html" and not filename:
        body.html.append(_part_text(part, data))
        return
    body.attachments.append(Attachment(filename, ctype, len(data)))


def _message(data: bytes) -> Message | None:
    try:
        return message_from_bytes(data, policy=compat32)
    except Exception:
        return None


def render_message(msg: Message, depth: int = 0) -> str:
    """A forwarded message as text: its date and subject, its text, its delivery reports."""
    # Only what says what happened: the From/To of a bounce are the customer and the
    # mailer daemon, which the diagnosis would otherwise take for the failed recipient.
    lines = []
    for name in ("Date", "Subject"):
        value = header_text(msg, name)
        if value:
            lines.append(f"{name}: {value}")
    body = _Body()
    with contextlib.suppress(RecursionError, LookupError, ValueError, TypeError, AttributeError):
        _walk(msg, body, depth)
    chunks = ["\n".join(lines), body.text(), *body.reports, *body.forwarded]
    return "\n\n".join(c.strip() for c in chunks if c.strip())[:MAX_FORWARD_CHARS]


def _synthetic_id(raw: bytes) -> str:
    # Derived from the bytes so that the same message read twice gets the same id.
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def parse_mail(raw: bytes) -> InboundMail:
    """Read `raw` (a whole RFC 5322 message); never raises."""
    msg = _message(raw)
    if msg is None:  # pragma: no cover - message_from_bytes accepts any bytes
        msg = Message()
    headers = {name: header_text(msg, name) for name in LOOP_HEADERS}
    headers = {k: v for k, v in headers.items() if v}
    subject = header_text(msg, "subject")
    sender, problem = _sender(msg, "from")
    from_name, from_address = sender or ("", "")
    reply_to, reply_problem = _sender(msg, "reply-to")
    if reply_problem is not None:
        answer_to, problem = "", problem or reply_problem  # not From: Reply-To said otherwise
    else:
        answer_to = reply_to[1] if reply_to else from_address
    # Resent-* (RFC 5322 §3.6.6): a message re-sent to support names it there.
    recipients = _recipients(msg, "to", "cc", "resent-to", "resent-cc")
    own_id = _ids(header_text(msg, "message-id"))
    body = _Body()
    try:
        _walk(msg, body, 0)
    except (RecursionError, LookupError, ValueError, TypeError, AttributeError):
        body.defects += 1
    text = clean_text(body.text()[:MAX_TEXT_CHARS])
    cut = cut_reply(text, subject)
    return InboundMail(
        message_id=own_id[0] if own_id else _synthetic_id(raw),
        synthetic_id=not own_id,
        in_reply_to=_ids(header_text(msg, "in-reply-to")),
        references=_ids(header_text(msg, "references")),
        subject=subject[:500],
        from_address=from_address,
        from_name=from_name[:200],
        reply_to=answer_to,
        return_path=_return_path(msg),
        recipients=tuple(recipients[:50]),
        date=_date(header_text(msg, "date")),
        lang_hint=_lang(header_text(msg, "content-language")),
        text=cut.text,
        quoted_removed=cut.removed,
        forwarded=tuple(clean_text(f) for f in body.forwarded + body.reports),
        attachments=tuple(body.attachments),
        headers=headers,
        content_type=msg.get_content_type(),
        size=len(raw),
        defects=body.defects + len(getattr(msg, "defects", ())),
        address_problem=problem,
        envelope_recipients=_envelope_recipients(msg),
    )
