"""The emails of the mailbox service, from `templates/mail/<name>.<lang>.txt`.

Each template's first line is `Subject: …`, then a blank line, then the plain-text body.
A whole mail is one Jinja file per language rather than a catalogue entry
(helpdesk/wording.py): paragraphs, line breaks and conditions read best as the mail itself.
Every mail exists in every declared language (templates/languages.yaml), checked at start-up.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from helpdesk.config import ProviderProfile
from helpdesk.wording import LANGUAGES, Languages, WordingError


class MailComposer:
    def __init__(
        self, directory: Path, provider: ProviderProfile, languages: Languages = LANGUAGES
    ) -> None:
        names = sorted(p.name.split(".")[0] for p in directory.glob(f"*.{languages.default}.txt"))
        missing = [
            f"{name}.{lang}.txt"
            for name in names
            for lang in languages
            if not (directory / f"{name}.{lang}.txt").is_file()
        ]
        if missing:
            raise WordingError(f"{directory}: missing template {missing[0]}")
        self._languages = languages
        # Plain-text mail: nothing is HTML, so nothing to escape.
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=False,  # noqa: S701
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        self._provider = provider

    def compose(self, name: str, lang: str, to: str, **context: Any) -> EmailMessage:
        """The message `name` in `lang` (the default language when not one of ours), to `to`."""
        lang = self._languages.pick(lang)
        text = self._env.get_template(f"{name}.{lang}.txt").render(p=self._provider, **context)
        head, _, body = text.partition("\n\n")
        if not head.startswith("Subject: "):
            raise ValueError(f"templates/mail/{name}.{lang}.txt must start with 'Subject: '")
        provider = self._provider
        msg = EmailMessage()
        msg["From"] = formataddr((provider.name, provider.support_address))
        msg["To"] = to
        msg["Subject"] = head.removeprefix("Subject: ").strip()
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(domain=provider.support_address.rpartition("@")[2])
        # RFC 3834: machine-generated, so auto-responders must not answer it.
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(body.lstrip("\n"), cte="quoted-printable")
        # After set_content, which drops every Content-* header set before it.
        msg["Content-Language"] = lang
        return msg
