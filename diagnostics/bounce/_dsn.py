"""RFC 3464 delivery-status fields, read from a report part or from pasted text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]{1,40})[ \t]*:[ \t]*(.*)$")
PER_MESSAGE = frozenset({"reporting-mta", "received-from-mta", "arrival-date", "x-postfix-sender"})
PER_RECIPIENT = frozenset(
    {"final-recipient", "original-recipient", "x-actual-recipient", "action", "status",
     "diagnostic-code", "remote-mta", "last-attempt-date", "will-retry-until",
     "x-supplementary-info", "x-powermta-bouncecategory"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DsnRecord:
    """Per-recipient fields of a delivery status notification (values without type prefix)."""

    final_recipient: str
    original_recipient: str
    action: str
    status: str
    diagnostic: str
    remote_mta: str
    category: str = ""


def _strip_type(value: str) -> str:
    # "rfc822; a@b", "smtp; 550 ...", "dns; mx.example": RFC 3464 §2.1.2 type prefixes
    head, sep, tail = value.partition(";")
    if sep and len(head) < 20 and " " not in head.strip():
        return tail.strip()
    return value.strip()


def _fields(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and out:
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}")
            continue
        match = _FIELD.match(line.strip())
        if match:
            out.append((match.group(1).lower(), match.group(2).strip()))
        elif not line.strip():
            out.append(("", ""))
        else:
            out.append(("?", ""))
    return [(k, v) for k, v in out if k != "?"]


def records(
    text: str, rows: Sequence[tuple[str, str]] | None = None
) -> tuple[dict[str, str], list[DsnRecord]]:
    """Read the per-message and per-recipient fields of delivery-status text.

    Args:
        text: the content of a message/delivery-status part, or any text that may hold
            such fields (a pasted report).
        rows: the fields of `text` as (lower-case name, value) rows, ("", "") for a blank
            line, when the caller has them already (then `text` is not read again).

    Returns:
        (per-message fields by lower-case name, one DsnRecord per recipient in order).
    """
    message: dict[str, str] = {}
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for name, value in _fields(text) if rows is None else rows:
        if name == "":
            # a blank line ends a per-recipient block (RFC 3464 §2.1)
            if current:
                current = None
            continue
        if name in PER_MESSAGE:
            message.setdefault(name, _strip_type(value))
            continue
        if name not in PER_RECIPIENT:
            continue
        starts_new = current is None or name in current
        if not starts_new and name == "original-recipient" and current is not None:
            starts_new = "final-recipient" in current and "status" in current
        if starts_new:
            current = {}
            found.append(current)
        assert current is not None
        if name not in current:
            current[name] = value if name == "diagnostic-code" else _strip_type(value)
    out = []
    for rec in found:
        diag = rec.get("diagnostic-code", "")
        out.append(
            DsnRecord(
                final_recipient=_address(rec.get("final-recipient", "")),
                original_recipient=_address(rec.get("original-recipient", "")),
                action=rec.get("action", "").split(" ")[0].lower(),
                status=rec.get("status", ""),
                diagnostic=_diagnostic(diag),
                remote_mta=rec.get("remote-mta", ""),
                category=rec.get("x-powermta-bouncecategory", "").strip().lower(),
            )
        )
    return message, out


def _address(value: str) -> str:
    value = value.strip().strip("<>").strip()
    if value.lower().startswith("rfc822;"):
        value = value[7:].strip().strip("<>")
    return value.lower()


def _diagnostic(value: str) -> str:
    # Keep "x-unix;" (a local delivery program's output): it tells a mailer error apart.
    if value.lower().startswith("x-unix;"):
        return "x-unix; " + value[7:].strip()
    return _strip_type(value) if value else ""
