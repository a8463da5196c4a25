"""Plain-text helpers: codes, addresses and per-recipient blocks in a bounce's prose."""

from __future__ import annotations

import re
from functools import lru_cache

ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"
)
# The look-behinds below come after the first digit (and look back over it) rather than
# first: an expression that starts with a character class is searched for that class
# alone at each place, several times faster than trying a look-behind everywhere.
# RFC 3463 status: class 2/4/5, subject 0-7, detail up to 3 digits; not part of an IP address.
STATUS = re.compile(r"([245](?<![\d.][245])\.[0-7]\.\d{1,3})(?!\.?\d)")
# SMTP reply code (RFC 5321 §4.2): 4yz/5yz with y in 0-5, standing alone before text or "-".
REPLY = re.compile(r"([45](?<![\w.:/=+-][45])[0-5]\d)(?:[ -]|$)(?![:.]?\d{2})")
# Zoho and others print the reply code as a labelled field.
REPLY_FIELD = re.compile(r"(?:error_code|responsecode|reply code|smtp code)\s*:?\s*([45][0-5]\d)\b")
REPLY_STRONG = re.compile(r"([45](?<![\w.:/=+-][45])[0-5]\d)[ -]#?([245]\.[0-7]\.\d{1,3})")
# Lines that start the copy of the returned message inside a plain-text bounce.
_MARKER = (
    r"^[ \t>|*=_-]*(?:"
    r"(?:-+ ?)?(?:this is a copy of the message|below this line is a copy of the message"
    r"|below is a copy of|here is a copy of"
    r"|original message (?:follows|headers?|below|attached)"
    r"|the original message (?:is|follows|headers)"
    r"|unsent message below|message headers follow|included is a copy of the message"
    r"|\(?original message\)?|returned message|the text you sent follows"
    r"|the headers? of the original|original message header|headers of your message follow"
    r"|copy of (?:the|your) (?:original )?message|forwarded message|your message reads"
    r"|the (?:original )?message headers|content of the original"
    r"|message d'origine|message original|copie du message|en-têtes du message)"
    r")"
)
# The same, on lower-case text, matched at the start of a line.
_MARKER_AT = re.compile(_MARKER.removeprefix("^"))


@lru_cache(maxsize=1)
def _marker_any_case() -> re.Pattern[str]:
    """`_MARKER` on text of any case (compiled when first needed: most text is lowered)."""
    return re.compile(_MARKER, re.I | re.M)


# Every phrase of `_MARKER` holds one of these words (a test checks it): text without any
# of them is not searched (most bounce texts, whose copy of the message is a part apart).
MARKER_WORDS = (
    "copy", "original", "returned message", "unsent message", "message headers",
    "headers of", "text you sent", "forwarded message", "message reads", "d'origine",
    "copie du message", "en-têtes du message",
)  # fmt: skip


# Letters that re.I matches with an ASCII letter of another case (dotted and dotless i,
# long s, Kelvin sign): in text holding one, a search of the lower-case text may miss.
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def lower_is_exact(text: str) -> bool:
    """Whether looking in `text.lower()` finds what a case-insensitive search finds."""
    return text.isascii() or not any(char in text for char in _FOLDS_TO_ASCII)


def original_start(text: str) -> int:
    """Offset of the line of `text` that starts a copy of the returned message, or -1."""
    low = text.lower()
    if not lower_is_exact(text) or len(low) != len(text):
        # lower() misses a case-insensitive match or moves positions: search the text
        match = _marker_any_case().search(text)
        return match.start() if match else -1
    # A marker is on one line and holds one of the words: only the lines with a word can
    # start the copy (trying the expression at every line start of a long returned message
    # cost more than the rest of reading most bounces).
    starts: set[int] = set()
    for word in MARKER_WORDS:
        at = low.find(word)
        while at >= 0:
            starts.add(low.rfind("\n", 0, at) + 1)
            at = low.find(word, at + 1)
    for start in sorted(starts):
        if _MARKER_AT.match(low, start):
            return start
    return -1


FIELD_LINE = re.compile(r"^[ \t]*(Received|Return-Path|Message-ID|DKIM-Signature):", re.I | re.M)


def collapse(text: str) -> str:
    """Collapse runs of whitespace into single spaces and strip the ends."""
    return " ".join(text.split())


def find_addresses(text: str) -> list[str]:
    """`ADDRESS.findall(text)`, searched in the words that hold an "@" only.

    An address holds no whitespace, so the result is the same; the expression, which
    starts with a repeated class, would otherwise be tried from every letter of the names
    and words around the addresses.
    """
    if "@" not in text:
        return []
    return ADDRESS.findall(" ".join(word for word in text.split() if "@" in word))


def find_status(text: str) -> str:
    """Return the first enhanced status code in `text` (``5.1.1``), or ""."""
    match = REPLY_STRONG.search(text)
    if match:
        return match.group(2)
    match = STATUS.search(text)
    return match.group(1) if match else ""


def find_failure_status(text: str, klass: str) -> str:
    """Return the first enhanced status code of class `klass` (``"4"`` or ``"5"``), or ""."""
    for match in STATUS.finditer(text):
        if match.group(1).startswith(klass):
            return match.group(1)
    return ""


def find_replycode(text: str) -> str:
    """Return the first SMTP reply code in `text` (``550``), or ""."""
    match = REPLY_STRONG.search(text)
    if match:
        return match.group(1)
    match = REPLY.search(text) or REPLY_FIELD.search(text)
    return match.group(1) if match else ""


def cut_original(text: str) -> str:
    """Return the part of a bounce's text before the copy of the returned message.

    The copy starts at a line that announces it ("--- Below this line is a copy of the
    message."), or, when no line does, at the first trace field (Received:, Return-Path:
    ...) below the report's own reply: bounce prose never holds one, a copied header
    always does.
    """
    start = original_start(text)
    if start > 0:
        return text[:start]
    if start < 0 and ("eceived:" in text or "eturn-" in text or "essage-" in text):
        field = FIELD_LINE.search(text)
        if field and field.start() > 0:
            before = text[: field.start()]
            if find_status(before.lower()) or find_replycode(before.lower()):
                return before
    return text


def addresses(text: str) -> list[tuple[int, str]]:
    """List (position, lower-case address) of each distinct address, in order of appearance."""
    seen: dict[str, int] = {}
    for match in ADDRESS.finditer(text):
        addr = match.group(0).strip(".").lower()
        if addr not in seen:
            seen[addr] = match.start()
    return sorted((pos, addr) for addr, pos in seen.items())


def blocks(text: str, recipients: list[str], low: str | None = None) -> dict[str, str]:
    """Split `text` into one block per recipient, starting where the recipient is first named.

    Args:
        text: the bounce's human-readable text.
        recipients: lower-case addresses.
        low: `text.lower()` when the caller has it already.

    Returns:
        recipient → the text from its first mention to the next recipient's first mention.
    """
    low = text.lower() if low is None else low
    starts = []
    for rcpt in recipients:
        pos = low.find(rcpt)
        if pos >= 0:
            # from the start of the line: some MTAs put the address after the error
            starts.append((low.rfind("\n", 0, pos) + 1, rcpt))
    starts.sort()
    out: dict[str, str] = {}
    for index, (pos, rcpt) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
        out[rcpt] = text[pos:end]
    return out


_TRANSCRIPT_LINE = re.compile(r"^[ \t]*(>>>|<<<)[ \t]?(.*)$", re.M)
_RCPT_TO = re.compile(r"rcpt to:\s*<?([^<>\s]+@[^<>\s]+?)>?(?:\s|$)", re.I)


def transcript_replies(text: str) -> dict[str, str]:
    """Pair a session transcript's commands with their replies, per recipient.

    In ">>> RCPT To:<a@x>" / "<<< 550 5.1.1 ..." transcripts (sendmail, courier, some
    gateways) a reply belongs to the command above it, wherever the addresses are named
    elsewhere in the bounce. A refusal of DATA or of the message's end concerns every
    recipient the server had accepted.

    Args:
        text: the bounce's human-readable text.

    Returns:
        lower-case recipient → the server's failure reply, followed by the command it
        answered ("(in reply to RCPT TO command)"); only recipients a reply refused.
    """
    if ">>>" not in text or "<<<" not in text:
        return {}
    replies: dict[str, list[str]] = {}  # recipient → its failure reply's lines
    stage: dict[str, str] = {}  # recipient → the command its reply answered
    accepted: list[str] = []
    command = recipient = ""
    for kind, line in _TRANSCRIPT_LINE.findall(text):
        if kind == ">>>":
            found = _RCPT_TO.search(line)
            recipient = found.group(1).lower() if found else ""
            command = "RCPT TO" if found else line.strip().upper()
            continue
        failed = line[:1] in ("4", "5")
        if command == "RCPT TO" and failed:
            replies.setdefault(recipient, []).append(line)
            stage[recipient] = command
        elif command == "RCPT TO" and line.startswith("2"):
            accepted.append(recipient)
        elif command in ("DATA", ".") and failed:
            for each in accepted:
                replies.setdefault(each, []).append(line)
                stage[each] = "DATA" if command == "DATA" else "end of DATA"
    return {
        rcpt: f"{' '.join(lines)} (in reply to {stage[rcpt]} command)"
        for rcpt, lines in replies.items()
    }


_CONTINUATION = re.compile(r"[45](?<=\s[45])\d\d[ -](?:#?[245]\.[0-7]\.\d{1,3} )?")


def strip_continuations(text: str) -> str:
    """Drop the reply-code prefixes that a multi-line SMTP reply repeats on each line.

    Args:
        text: a collapsed reply such as ``550-5.7.1 Messages with multiple 550 5.7.1 addresses``.

    Returns:
        The text with every prefix but the first removed.
    """
    first = REPLY.search(text)
    if not first:
        return text
    head, tail = text[: first.end()], text[first.end() :]
    return head + _CONTINUATION.sub("", tail)


_X_HEADER = re.compile(r"^[ \t]*X-[A-Za-z0-9-]+:.*$", re.M)


def drop_header_lines(text: str) -> str:
    """Remove X- header lines quoted in a bounce's prose (their names mislead phrase tables)."""
    return _X_HEADER.sub("", text) if "X-" in text else text


_DERIVED = re.compile(r"\((?:ultimately )?(?:generated|expanded) from[^)]{0,300}\)", re.I)


def without_derived(text: str) -> str:
    """Remove "(generated from X)" / "(expanded from <X>)" notes: X is not a recipient."""
    return _DERIVED.sub("", text)
