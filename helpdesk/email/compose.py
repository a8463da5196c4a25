"""Answer mails: the bot's replies framed in text and HTML, threaded, marked automatic.

Wording comes from `templates/bot/<lang>.yaml` (the `email.*` keys and the bot's own
replies); layout from `templates/email/answer.{txt,html}.j2`, the HTML one autoescaped.
Every header value is one clean line before it is set: a subject that carried CR/LF in an
encoded word cannot add a header here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from helpdesk.email._text import one_line
from helpdesk.engine import Link, Wording

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
    try:
        return Address(display_name=one_line(name), addr_spec=addr)
    except (ValueError, IndexError, TypeError):
        return addr


class Composer:
    def __init__(self, wording: Wording, templates: Path) -> None:
        self._wording = wording
        env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(["html"], default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        env.filters["linkify"] = _linkify
        env.filters["link_anchor"] = _anchor
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
        msg = EmailMessage(policy=SMTP)
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
