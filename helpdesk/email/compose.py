"""Answer mails: the bot's replies framed in text and HTML, threaded, marked automatic.

Wording comes from `templates/bot/<lang>.yaml` (the `email.*` keys and the bot's own
replies); layout from `templates/email/answer.{txt,html}.j2`, the HTML one autoescaped
(the rule of `helpdesk.templating`). Every header value is one clean line before it is
set, and the email package encodes it (RFC 2047): a subject or a display name that
carried CR/LF or markup cannot add a header or be read as anything but text. A
recipient with a non-ASCII address gets an RFC 6532 message (UTF-8 headers), which the
outbox sends with SMTPUTF8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup, escape

from helpdesk.email._text import one_line
from helpdesk.engine import Link, Wording
from helpdesk.templating import escaping_environment

_URL = re.compile(r"https?://[^\s<>\"'()]+[^\s<>\"'().,;:!?]")
MAX_REFERENCES = 10


@dataclass(frozen=True)
class Block:
    """One answered question: the text, the answers the customer may reply with, links."""

    text: str
    choices: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Envelope:
    """Who an answer goes to and what it answers."""

    to: str
    to_name: str
    subject: str
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Composed:
    raw: bytes
    text: str  # the plain-text part, as sent
    subject: str
    mail_from: str
    recipients: tuple[str, ...] = field(default_factory=tuple)


def _linkify(text: str) -> Markup:
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _anchor(link: Link) -> Markup:
    if _URL.fullmatch(link.url):
        return Markup('<a href="{0}">{1}</a>').format(link.url, link.label)
    return Markup("{0}: {1}").format(link.label, link.url)


def _address(addr: str, name: str = "") -> Address | str:
    name = one_line(name)
    try:
        return Address(display_name=name, addr_spec=addr)
    except NonASCIILocalPartDefect:
        # 3.11 refuses an RFC 6532 local part in addr_spec=, not given by parts.
        username, _, domain = addr.rpartition("@")
        return Address(display_name=name, username=username, domain=domain)
    except (ValueError, IndexError, TypeError):
        return addr


def answer_environment(templates: Path) -> Environment:
    """The environment of `templates/email/`: the HTML part autoescaped, the text not."""
    env = escaping_environment(templates, keep_trailing_newline=True)
    env.filters["linkify"] = _linkify
    env.filters["link_anchor"] = _anchor
    return env


class Composer:
    def __init__(self, wording: Wording, templates: Path) -> None:
        self._wording = wording
        env = answer_environment(templates)
        self._text = env.get_template("answer.txt.j2")
        self._html = env.get_template("answer.html.j2")

    @property
    def support_address(self) -> str:
        return self._wording.provider.support_address

    def say(self, lang: str, key: str, **context: object) -> str:
        return self._wording.say(lang, key, **context)

    def choices_line(self, lang: str, labels: tuple[str, ...]) -> str:
        quoted = ", ".join(f"« {x} »" if lang == "fr" else f'"{x}"' for x in labels)
        return self.say(lang, "email.choices", choices=quoted)

    def compose(
        self,
        blocks: list[Block],
        *,
        lang: str,
        reference: str,
        envelope: Envelope,
        now: datetime,
    ) -> Composed:
        """The answer mail, ready for the outbox."""
        context = {
            "lang": lang,
            "subject": envelope.subject,
            "greeting": self.say(lang, "email.greeting", name=_first_name(envelope.to_name)),
            "blocks": [
                {
                    "text": b.text,
                    "choices": self.choices_line(lang, b.choices) if b.choices else "",
                    "links": list(b.links),
                }
                for b in blocks
            ],
            "links_label": self.say(lang, "email.links"),
            "footer": self.say(lang, "email.footer", reference=reference),
            "signature": self.say(lang, "email.signature"),
            "automatic": self.say(lang, "email.automatic"),
        }
        text = self._text.render(context)
        html = self._html.render(context)
        sender = self.support_address
        international = not (sender.isascii() and envelope.to.isascii())
        msg = EmailMessage(policy=SMTPUTF8 if international else SMTP)
        msg["From"] = _address(sender, self.say(lang, "email.from_name"))
        msg["To"] = _address(envelope.to, envelope.to_name)
        msg["Subject"] = one_line(envelope.subject)
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = envelope.message_id
        if envelope.in_reply_to:
            msg["In-Reply-To"] = envelope.in_reply_to
            refs = [*envelope.references, envelope.in_reply_to][-MAX_REFERENCES:]
            msg["References"] = " ".join(dict.fromkeys(refs))
        # RFC 3834 §5: an automatic answer says so, and asks for no auto-reply back.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
        msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        msg["Content-Language"] = lang  # after the content: set_content drops Content-*
        return Composed(
            raw=msg.as_bytes(),
            text=text,
            subject=one_line(envelope.subject),
            mail_from=sender,
            recipients=(envelope.to,),
        )


def _first_name(name: str) -> str:
    # "Dupont, Jean" or "DUPONT Jean" are not first names: greet without a name then.
    name = one_line(name)
    if not name or "," in name or "@" in name or len(name) > 60:
        return ""
    return name
