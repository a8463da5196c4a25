"""Emails staff send from the console: answers threaded into the customer's thread."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, formataddr
from typing import Any

from helpdesk.config import ProviderProfile
from helpdesk.db.models import utcnow

MAX_REFERENCES = 20  # RFC 5322 allows trimming References; keep the thread's root and tail


@dataclass(frozen=True)
class Thread:
    """Where an answer goes in the customer's thread."""

    in_reply_to: str | None
    references: tuple[str, ...]

    @classmethod
    def after(cls, meta: dict[str, Any] | None) -> Thread:
        """The thread continuing the message whose channel data is `meta`."""
        if not meta or not meta.get("message_id"):
            return cls(None, ())
        refs = meta.get("references") or []
        if isinstance(refs, str):
            refs = refs.split()
        chain = [str(r) for r in refs if r] + [str(meta["message_id"])]
        if len(chain) > MAX_REFERENCES:
            chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
        return cls(str(meta["message_id"]), tuple(chain))


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    mail_from: str
    recipient: str
    raw: bytes
    thread: Thread


def compose(
    provider: ProviderProfile,
    *,
    to: str,
    subject: str,
    body: str,
    thread: Thread,
    message_id: str,
) -> Outgoing:
    """A plain-text answer from the support address, threaded after `thread`.

    `message_id` is one of the help desk's signed ids (helpdesk.email.threads), so that a
    reply to a staff answer finds its ticket as a reply to the bot's does.
    """
    sender = provider.support_address
    msg = EmailMessage()
    msg["From"] = formataddr((provider.name, sender))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id
    if thread.in_reply_to:
        msg["In-Reply-To"] = thread.in_reply_to
        msg["References"] = " ".join(thread.references)
    msg["Auto-Submitted"] = "no"  # a person wrote it: autoresponders may answer
    msg.set_content(body)
    # CRLF line ends, as the relay will see it. An internationalised address can only be
    # written in UTF-8 (RFC 6532): SMTP's encoded words would make it no address at all.
    policy = SMTP if to.isascii() else SMTPUTF8
    return Outgoing(message_id, sender, to, msg.as_bytes(policy=policy), thread)


def reply_subject(subject: str | None, reference: str, fallback: str) -> str:
    """`Re: <subject> [HD-…]`: the reference lets a reply find its ticket."""
    base = (subject or fallback).strip().replace("\r", " ").replace("\n", " ")
    if not base.lower().startswith("re:"):
        base = f"Re: {base}"
    if reference not in base:
        base = f"{base} [{reference}]"
    return base
