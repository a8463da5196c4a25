"""Which messages must never get an automatic answer (RFC 3834 and common practice).

An answer to a bounce, an auto-reply, a mailing list or our own mail is how mail loops
and backscatter start. Such a message still lands on a ticket; it only gets no answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from helpdesk.email.parse import InboundMail

_DAEMON = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|maildaemon|mdaemon|double-bounce|"
    r"bounces?|bounce-.*|.*-bounces?|.*\+bounces?)@",
    re.IGNORECASE,
)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|ne-?pas-?repondre|noreply-.*)@", re.I)
_LIST_OWNER = re.compile(r"^(?:owner-.*|.*-request|.*-owner)@", re.IGNORECASE)
_REPORT = re.compile(r"report-type\s*=\s*\"?([a-z-]+)", re.IGNORECASE)
_REPORT_REASONS = {
    "delivery-status": "bounce",
    "disposition-notification": "receipt",  # a read receipt (RFC 8098)
    "feedback-report": "abuse_report",  # an ARF complaint (RFC 5965)
}
# X-Auto-Response-Suppress values (Microsoft) that ask an auto-responder like us to keep quiet.
_SUPPRESS = frozenset({"all", "autoreply", "oof"})


def no_answer_reason(
    mail: InboundMail, *, support_address: str, is_ours: Callable[[str], bool]
) -> str | None:
    """Why `mail` must not be answered automatically, or None when it may be.

    `is_ours` tells whether a Message-ID is one the help desk made (a signed one).
    """
    headers = mail.headers
    if mail.return_path == "":
        return "null_sender"  # RFC 3834 §2: never answer a message with a null sender
    report = _REPORT.search(headers.get("content-type", ""))
    if report and "multipart/report" in headers.get("content-type", "").lower():
        return _REPORT_REASONS.get(report.group(1).lower(), "report")
    if headers.get("x-failed-recipients"):
        return "bounce"
    sender = mail.from_address
    if _DAEMON.match(sender) or _DAEMON.match(mail.return_path or ""):
        return "bounce"
    auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "auto_submitted"  # RFC 3834 §5
    if any(headers.get(h) for h in ("x-autoreply", "x-autorespond", "x-autoreply-from")):
        return "auto_reply"
    if headers.get("x-mail-autoreply"):
        return "auto_reply"
    suppress = {v.strip().lower() for v in headers.get("x-auto-response-suppress", "").split(",")}
    if suppress & _SUPPRESS:
        return "suppressed"
    if headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk"):
        return "bulk"
    if any(headers.get(h) for h in ("list-id", "list-unsubscribe", "list-post", "list-help")):
        return "mailing_list"
    if _LIST_OWNER.match(sender) or _LIST_OWNER.match(mail.return_path or ""):
        return "mailing_list"
    own = support_address.lower()
    if own in (sender, mail.reply_to, mail.return_path) or own in headers.get("x-loop", "").lower():
        return "own_mail"
    if is_ours(mail.message_id):
        return "own_mail"
    if not mail.reply_to:
        return "no_sender"
    if _NO_REPLY.match(mail.reply_to):
        return "no_reply_address"
    return None
