"""Amazon SES notifications (JSON, possibly wrapped in an SNS envelope) sent by email."""

from __future__ import annotations

import json
from typing import Any

from . import _reasons, _text
from ._model import FailedRecipient

_SUBTYPE_REASON = {
    "noemail": "userunknown",
    "suppressed": "suppressed",
    "onaccountsuppressionlist": "suppressed",
    "mailboxfull": "mailboxfull",
    "messagetoolarge": "mesgtoobig",
    "contentrejected": "contenterror",
    "attachmentrejected": "policyviolation",
}


def _load(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    if start < 0:
        return None
    decoder = json.JSONDecoder()
    for candidate in (text[start:], text[start:].replace("\r", "").replace("\n", "")):
        try:
            value, _ = decoder.raw_decode(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            inner = value.get("Message")
            if isinstance(inner, str) and inner.lstrip().startswith("{"):
                return _load(inner)
            return value
    return None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def ses_recipients(text: str) -> list[FailedRecipient] | None:
    """Read an Amazon SES bounce, complaint or delivery notification.

    Args:
        text: a text part that may hold the JSON notification.

    Returns:
        The recipients it names, or None when `text` holds no SES notification.
    """
    if '"notificationType"' not in text and '"eventType"' not in text:
        return None
    data = _load(text)
    if data is None:
        return None
    kind = _str(data.get("notificationType") or data.get("eventType")).lower()
    out: list[FailedRecipient] = []
    if kind == "bounce":
        bounce = data.get("bounce")
        if not isinstance(bounce, dict):
            return None
        subtype = _str(bounce.get("bounceSubType")).lower()
        transient = _str(bounce.get("bounceType")).lower() == "transient"
        remote = _str(bounce.get("reportingMTA")).partition(";")[2].strip()
        for rcpt in bounce.get("bouncedRecipients") or []:
            if not isinstance(rcpt, dict):
                continue
            diag = _text.collapse(_str(rcpt.get("diagnosticCode")))
            diag_text = diag.partition(";")[2].strip() if diag.lower().startswith("smtp;") else diag
            status = _text.find_status(_str(rcpt.get("status"))) or _text.find_status(diag_text)
            reply = _text.find_replycode(diag_text.lower())
            reason = _SUBTYPE_REASON.get(subtype, "")
            by_status = _reasons.status_reason(status)
            if not reason:
                if by_status and by_status not in _reasons.WEAK_STATUS:
                    reason = by_status
                else:
                    reason = _reasons.text_reason(diag_text.lower()) or by_status
            if not reason:
                reason = "expired" if transient else "undefined"
            out.append(
                FailedRecipient(
                    recipient=_str(rcpt.get("emailAddress")).lower(),
                    action=_str(rcpt.get("action")).lower() or "failed",
                    replycode=reply,
                    status=status or _reasons.REASON_STATUS.get(reason, ""),
                    diagnostic=diag_text,
                    remote_mta=remote,
                    reason=reason,
                    actor=_reasons.actor(reason),
                    retryable=_reasons.retryable(reason, status, reply),
                )
            )
    elif kind in ("complaint", "delivery"):
        block = data.get(kind)
        if not isinstance(block, dict):
            return None
        if kind == "complaint":
            addrs = [
                _str(r.get("emailAddress"))
                for r in block.get("complainedRecipients") or []
                if isinstance(r, dict)
            ]
            reason, diag = "feedback", _str(block.get("complaintFeedbackType"))
        else:
            addrs = [_str(a) for a in block.get("recipients") or []]
            reason, diag = "delivered", _str(block.get("smtpResponse"))
        for addr in addrs:
            out.append(
                FailedRecipient(
                    recipient=addr.lower(),
                    action="delivered" if kind == "delivery" else "",
                    replycode="" if kind == "delivery" else _text.find_replycode(diag.lower()),
                    status=_text.find_status(diag),
                    diagnostic=diag,
                    remote_mta=_str(block.get("reportingMTA")),
                    reason=reason,
                    actor=_reasons.actor(reason),
                    retryable=False,
                )
            )
    return out or None
