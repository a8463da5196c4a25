"""Which messages must never get an automatic answer (RFC 3834 and common practice).

An answer to a bounce, an auto-reply, a mailing list or our own mail is how mail loops
and backscatter start; an answer to mail that only reached support in Bcc, or to a sender
address the strict grammar refuses, goes where nobody asked for it. Such a message still
lands on a ticket; it only gets no answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

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


def addressed_to(mail: InboundMail, support_addresses: Iterable[str]) -> bool:
    """Whether `mail` names one of our addresses in To, Cc (or Resent-To, Resent-Cc).

    RFC 3834 §2 and Pigeonhole's vacation: a message delivered implicitly (support only in
    Bcc, or reached through a forward) is not answered. Ours are the support addresses
    and the envelope recipients the delivering server recorded (Delivered-To,
    X-Original-To; the SMTP listener writes its RCPT TO there), as vacation takes the
    envelope recipient for one of the user's addresses.
    """
    ours = {a.lower() for a in support_addresses} | set(mail.envelope_recipients)
    return any(r in ours for r in mail.recipients)


def no_answer_reason(
    mail: InboundMail,
    *,
    support_address: str,
    is_ours: Callable[[str], bool],
    aliases: Iterable[str] = (),
) -> str | None:
    """Why `mail` must not be answered automatically, or None when it may be.

    `is_ours` tells whether a Message-ID is one the help desk made (a signed one);
    `aliases` are the other addresses support is reached at.
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
        return "bad_address" if mail.address_problem is not None else "no_sender"
    if _NO_REPLY.match(mail.reply_to):
        return "no_reply_address"
    if not addressed_to(mail, (support_address, *aliases)):
        return "implicit_delivery"
    return None
